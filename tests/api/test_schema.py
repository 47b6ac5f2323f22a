"""The OpenAPI document and its browsable docs."""

from __future__ import annotations

from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from annotations.models import Project

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_schema_generates_without_warnings_and_is_valid_openapi_3() -> None:
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, GENERATOR_STATS
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_is_served_and_documents_formats_and_errors(api_client, db) -> None:
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    export = paths["/api/claims/export/"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"application/json", "text/csv", XLSX}
    assert {"project", "status", "kind", "source", "article", "format"} <= {
        p["name"] for p in export["parameters"]
    }
    annotation = paths["/api/annotations/{id}/"]["get"]["responses"]
    assert set(annotation["200"]["content"]) == {"application/json", "application/ld+json"}
    patch = paths["/api/claims/{id}/"]["patch"]
    assert {"400", "401", "403", "404", "409", "412"} <= set(patch["responses"])
    assert "If-Match" in [p["name"] for p in patch["parameters"]]
    assert "409" in paths["/api/candidates/{id}/accept/"]["post"]["responses"]
    error = response.json()["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"}


def test_docs_page_is_served_with_local_assets(api_client, db) -> None:
    response = api_client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "drf_spectacular_sidecar" in page  # served from the wheel, not a CDN
    assert api_client.get("/api/redoc/").status_code == 200


def test_unknown_api_address_is_a_json_404(api_client, db) -> None:
    response = api_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_bench_export_reports_rates_and_leaves_nothing_behind(db, capsys) -> None:
    import json

    projects = Project.objects.count()
    call_command("bench_export", claims=60, articles=4, formats="csv,xlsx,json")
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["claims"], result["mentions"]) == (60, 120)
    for fmt in ("csv", "xlsx", "json"):
        assert result[fmt]["rows_per_s"] > 0 and result[fmt]["bytes"] > 0
        assert "peak_python_heap_mb" in result[fmt]
    assert Project.objects.count() == projects
