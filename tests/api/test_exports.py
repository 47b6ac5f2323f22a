"""The claim table export: one row per claim, as CSV, XLSX and JSON, filtered like the list."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest

from annotations.models import Project
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    ProjectFactory,
    SourceFactory,
)

EXPORT = "/api/claims/export/"
TEXT_A = "Officials said the bridge will take three years. Others disagreed entirely."
TEXT_B = "The mayor repeated that the bridge will take three years, despite doubts."


def mark(article, claim, words: str):
    start = article.text.index(words)
    return AnnotationFactory(article=article, claim=claim, start=start, end=start + len(words))


@pytest.fixture
def table(project: Project) -> dict:
    """Two outlets; a claim in both (one article undated), a claim nowhere, a formula-like
    claim, and a claim of another project that must never appear."""
    gazette = SourceFactory(project=project, name="Gazette")
    herald = SourceFactory(project=project, name="Herald")
    early = ArticleFactory(
        project=project,
        source=herald,
        text=TEXT_A,
        published_at=dt.datetime(2024, 1, 5, 8, 0, tzinfo=dt.UTC),
    )
    undated = ArticleFactory(project=project, source=gazette, text=TEXT_B, published_at=None)
    tracked = ClaimFactory(
        project=project, statement="The bridge takes three years.", status="true"
    )
    mark(undated, tracked, "the bridge will take three years")
    mark(early, tracked, "the bridge will take three years")
    lonely = ClaimFactory(project=project, statement="Nobody said this.", kind="opinion")
    formula = ClaimFactory(project=project, statement='=HYPERLINK("http://evil.example")')
    mark(early, formula, "Others disagreed")
    ClaimFactory(project=ProjectFactory(), statement="Another desk's claim.")
    return {
        "tracked": tracked,
        "lonely": lonely,
        "formula": formula,
        "early": early,
        "undated": undated,
    }


def body(response) -> bytes:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content)


def csv_rows(response) -> dict[int, dict[str, str]]:
    content = body(response)
    assert content.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return {int(row["id"]): row for row in reader}


def test_csv_has_one_row_per_claim_with_outlets_dates_and_quotes(client_for, table) -> None:
    response = client_for("viewer").get(EXPORT, {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="claims-')
    rows = csv_rows(response)
    assert set(rows) == {table["tracked"].pk, table["lonely"].pk, table["formula"].pk}
    tracked = rows[table["tracked"].pk]
    assert tracked["statement"] == "The bridge takes three years."
    assert (tracked["status"], tracked["kind"]) == ("True", "Statement of fact")
    assert tracked["project"] == table["tracked"].project.name
    assert "project_id" not in tracked
    assert (tracked["source_count"], tracked["mention_count"], tracked["article_count"]) == (
        "2",
        "2",
        "2",
    )
    assert tracked["outlets"] == "Gazette; Herald"
    assert tracked["first_appearance"] == "2024-01-05T08:00:00Z"
    # The undated article counts from when it was loaded (today), so it appears last.
    loaded = table["undated"].created_at.replace(microsecond=0)
    assert dt.datetime.fromisoformat(tracked["last_appearance"]) == loaded
    assert "." not in tracked["created_at"]  # to the second, no microseconds
    assert tracked["quotes"].split("\n") == ["the bridge will take three years"] * 2
    lonely = rows[table["lonely"].pk]
    assert (lonely["source_count"], lonely["outlets"], lonely["quotes"]) == ("0", "", "")
    assert lonely["first_appearance"] == lonely["last_appearance"] == ""


def test_csv_cells_that_would_run_as_formulas_are_defused(client_for, table) -> None:
    rows = csv_rows(client_for("viewer").get(EXPORT, {"format": "csv"}))
    assert rows[table["formula"].pk]["statement"] == '\'=HYPERLINK("http://evil.example")'


def test_xlsx_opens_with_openpyxl_and_holds_the_same_table(client_for, table) -> None:
    response = client_for("viewer").get(EXPORT, {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = workbook["Claims"]
    header, *data = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("id", "statement", "status", "kind")
    assert "first_appearance (UTC)" in header
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    tracked = rows[table["tracked"].pk]
    assert tracked["source_count"] == 2
    assert tracked["outlets"] == "Gazette; Herald"
    assert tracked["first_appearance (UTC)"] == dt.datetime(2024, 1, 5, 8, 0)
    formula_cell = next(
        row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == table["formula"].pk
    )
    assert formula_cell.data_type == "s"
    assert formula_cell.value == '=HYPERLINK("http://evil.example")'


def test_json_export_is_a_list_of_rows_with_lists_kept(client_for, table) -> None:
    response = client_for("viewer").get(EXPORT, {"format": "json"})
    assert response["Content-Type"] == "application/json"
    rows = {row["id"]: row for row in json.loads(body(response))}
    tracked = rows[table["tracked"].pk]
    assert tracked["outlets"] == ["Gazette", "Herald"]
    assert tracked["quotes"] == ["the bridge will take three years"] * 2
    assert tracked["first_appearance"] == "2024-01-05T08:00:00Z"
    assert (tracked["status"], tracked["status_label"]) == ("true", "True")
    assert rows[table["lonely"].pk]["kind_label"] == "Opinion"
    assert tracked["project"] == table["tracked"].project.name
    assert tracked["created_at"].endswith("Z") and "." not in tracked["created_at"]
    assert rows[table["lonely"].pk]["first_appearance"] is None


def test_export_is_filtered_like_the_list_without_cutting_a_claims_mentions(
    client_for, table
) -> None:
    client = client_for("viewer")
    by_status = json.loads(body(client.get(EXPORT, {"status": "true"})))
    assert [row["id"] for row in by_status] == [table["tracked"].pk]
    listed = client.get("/api/claims/", {"article": table["early"].pk}).json()["results"]
    exported = json.loads(body(client.get(EXPORT, {"article": table["early"].pk})))
    assert sorted(c["id"] for c in listed) == sorted(r["id"] for r in exported)
    tracked = next(r for r in exported if r["id"] == table["tracked"].pk)
    assert tracked["mention_count"] == 2  # both mentions, not only the one in that article
    searched = json.loads(body(client.get(EXPORT, {"search": "nobody"})))
    assert [row["id"] for row in searched] == [table["lonely"].pk]


def test_export_query_count_does_not_grow_with_claims(
    client_for, table, project, django_assert_max_num_queries
) -> None:
    client = client_for("viewer")
    article = table["early"]
    for n in range(40):
        claim = ClaimFactory(project=project, statement=f"Claim number {n}")
        mark(article, claim, "Officials said")
    for fmt in ("csv", "xlsx", "json"):
        with django_assert_max_num_queries(2):
            rows = body(client.get(EXPORT, {"format": fmt}))
        assert rows


def test_list_query_count_does_not_grow_with_claims(
    client_for, table, project, django_assert_max_num_queries
) -> None:
    for n in range(30):
        ClaimFactory(project=project, statement=f"Claim number {n}")
    client = client_for("viewer")
    for url in ("/api/claims/", "/api/annotations/", "/api/articles/", "/api/candidates/"):
        with django_assert_max_num_queries(3):
            assert client.get(url).status_code == 200


def test_export_errors_are_json_whatever_format_was_asked(client_for, table) -> None:
    client = client_for("viewer")
    bad_filter = client.get(EXPORT, {"format": "csv", "status": "bogus"})
    assert bad_filter.status_code == 400
    assert bad_filter["Content-Type"] == "application/json"
    assert bad_filter.json()["errors"]["status"]
    unknown_format = client.get(EXPORT, {"format": "pdf"})
    assert unknown_format.status_code == 404
    assert unknown_format.json()["detail"]
