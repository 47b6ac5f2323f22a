"""Small trust fixes: JSON for oversized bodies, UTF-16 files, no-op PATCH, ids and page sizes
as the schema documents them."""

from __future__ import annotations

import codecs

import pytest
from django.conf import settings

from annotations.models import Article
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def test_an_oversized_body_gets_json_413_and_saves_nothing(client_for, project) -> None:
    body = '{"text": "' + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    response = client_for("editor").post(
        "/api/articles/", data=body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than the limit" in response.json()["detail"]
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_a_utf16_file_with_a_bom_loads(project, bom, codec) -> None:
    from annotations.services import article_create_from_file

    text = "Überschwemmung in Köln: der Rhein stieg über neun Meter, sagte die Stadt."
    data = bom + text.encode(codec)
    article = article_create_from_file(project=project, data=data, filename="story.txt")
    assert article.text.strip() == text


def test_a_patch_that_changes_nothing_keeps_the_version(client_for, project) -> None:
    claim = ClaimFactory(project=project)
    client = client_for("editor")
    response = client.patch(
        f"/api/claims/{claim.pk}/", {"statement": claim.statement}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["version"] == claim.version
    assert claim.history.count() == 1
    response = client.patch(
        f"/api/claims/{claim.pk}/", {"notes": "checked"}, content_type="application/json"
    )
    assert response.json()["version"] == claim.version + 1


@pytest.mark.parametrize("value", ["null", "0", "-1", "501", "ten"])
def test_page_size_outside_the_documented_range_is_refused(client_for, value) -> None:
    response = client_for("viewer").get(f"/api/claims/?page_size={value}")
    assert response.status_code == 400
    assert "page_size" in response.json()["detail"]


def test_schema_documents_ids_from_one_as_the_code_checks(client_for) -> None:
    schema = client_for("viewer").get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/claims/"]["get"]["parameters"]}
    assert parameters["project"]["schema"]["type"] == "integer"
    assert parameters["project"]["schema"]["minimum"] == 1
    assert parameters["page_size"]["schema"]["minimum"] == 1
    assert client_for("viewer").get("/api/claims/?project=0").status_code == 400


def test_an_empty_date_filter_is_refused_as_the_schema_says(client_for) -> None:
    response = client_for("viewer").get("/api/claims/?created_after=")
    assert response.status_code == 400
    assert "ISO 8601" in response.json()["detail"]
    assert client_for("viewer").get("/api/claims/").status_code == 200
