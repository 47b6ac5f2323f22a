"""The mentions table (one row per mention: claim, outlet, date, its own quote, link) and the
spreadsheet finish of both exports: BOM, labels, ISO dates, frozen header, column widths."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import Project
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    ProjectFactory,
    SourceFactory,
)

EXPORT = "/api/claims/export/"
MENTIONS = "/api/claims/export/mentions/"
HERALD_TEXT = "Officials said the bridge will take three years. Others disagreed."
GAZETTE_TEXT = "The mayor insisted: three years for the bridge, no more."


def mark(article, claim, words: str):
    start = article.text.index(words)
    return AnnotationFactory(article=article, claim=claim, start=start, end=start + len(words))


@pytest.fixture
def story(project: Project) -> dict:
    herald = SourceFactory(project=project, name="Herald")
    gazette = SourceFactory(project=project, name="Gazette")
    early = ArticleFactory(
        project=project,
        source=herald,
        text=HERALD_TEXT,
        url="https://herald.example/bridge",
        published_at=dt.datetime(2024, 1, 5, 8, 0, 0, 123456, tzinfo=dt.UTC),
    )
    late = ArticleFactory(
        project=project,
        source=gazette,
        text=GAZETTE_TEXT,
        url="",
        published_at=dt.datetime(2024, 2, 1, 9, 30, 15, tzinfo=dt.UTC),
    )
    bridge = ClaimFactory(
        project=project, statement="The bridge takes three years.", status="mostly_true"
    )
    mark(early, bridge, "the bridge will take three years")
    mark(late, bridge, "three years for the bridge")
    other = ClaimFactory(project=project, statement="=cmd|' /C calc'!A0", status="false")
    mark(early, other, "Others disagreed")
    foreign = ClaimFactory(project=ProjectFactory(), statement="Another desk's claim.")
    return {"bridge": bridge, "other": other, "early": early, "late": late, "foreign": foreign}


def body(response) -> bytes:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content)


def mention_csv(response) -> list[dict[str, str]]:
    content = body(response)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so Excel reads the accents
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_mentions_csv_pairs_each_outlet_with_its_own_quote(client_for, story) -> None:
    response = client_for("viewer").get(MENTIONS, {"format": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="mentions-')
    rows = mention_csv(response)
    bridge = [r for r in rows if r["claim_id"] == str(story["bridge"].pk)]
    assert [(r["outlet"], r["quote"]) for r in bridge] == [
        ("Herald", "the bridge will take three years"),
        ("Gazette", "three years for the bridge"),
    ]
    assert {r["claim"] for r in bridge} == {"The bridge takes three years."}
    assert {r["status"] for r in bridge} == {"Mostly true"}  # the label, not mostly_true
    assert [r["date"] for r in bridge] == ["2024-01-05T08:00:00Z", "2024-02-01T09:30:15Z"]
    assert bridge[0]["link"] == "https://herald.example/bridge"
    # No web address: the article's page in the reader.
    assert bridge[1]["link"] == f"http://testserver/articles/{story['late'].pk}/"
    assert len(rows) == 3  # one row per mention; the other project's claim is not there


def test_mentions_csv_keeps_the_formula_guard(client_for, story) -> None:
    rows = mention_csv(client_for("viewer").get(MENTIONS, {"format": "csv"}))
    other = next(r for r in rows if r["claim_id"] == str(story["other"].pk))
    assert other["claim"] == "'=cmd|' /C calc'!A0"


def test_mentions_export_is_filtered_like_the_claim_list(client_for, story, project) -> None:
    client = client_for("viewer")
    rows = mention_csv(client.get(MENTIONS, {"format": "csv", "status": "false"}))
    assert [r["claim_id"] for r in rows] == [str(story["other"].pk)]
    rows = mention_csv(client.get(MENTIONS, {"format": "csv", "q": "bridge"}))
    assert {r["claim_id"] for r in rows} == {str(story["bridge"].pk)}
    assert client.get(MENTIONS, {"format": "csv", "published_after": "2024-13-45"}).status_code == (
        400
    )


def test_mentions_xlsx_has_a_frozen_header_widths_and_real_dates(client_for, story) -> None:
    response = client_for("viewer").get(MENTIONS, {"format": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = workbook["Mentions"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 60  # the claim
    assert sheet.column_dimensions["D"].width == 18  # the outlet
    header, *data = list(sheet.iter_rows(values_only=True))
    assert header == ("claim_id", "claim", "status", "outlet", "date (UTC)", "quote", "link")
    first = dict(zip(header, data[0], strict=True))
    assert first["date (UTC)"] == dt.datetime(2024, 1, 5, 8, 0, 0)  # no microseconds
    assert first["status"] in {"Mostly true", "False"}


def test_claims_xlsx_has_a_frozen_header_widths_and_labels(client_for, story) -> None:
    response = client_for("viewer").get(EXPORT, {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(body(response)))["Claims"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 60  # the statement
    header, *data = list(sheet.iter_rows(values_only=True))
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    bridge = rows[story["bridge"].pk]
    assert (bridge["status"], bridge["kind"]) == ("Mostly true", "Statement of fact")
    assert bridge["project"] == story["bridge"].project.name
    assert bridge["first_appearance (UTC)"] == dt.datetime(2024, 1, 5, 8, 0, 0)


def test_outsiders_export_nothing(client_for, story) -> None:
    rows = mention_csv(client_for("outsider").get(MENTIONS, {"format": "csv"}))
    assert rows == []


@pytest.mark.django_db
def test_export_links_of_the_claim_list_download_the_filtered_table(viewer, story, project):
    client = Client()
    client.force_login(viewer)
    page = client.get(reverse("claim-list", args=[project.slug]), {"status": "false"})
    content = page.content.decode()
    start = content.index("/api/claims/export/mentions/?")
    link = content[start : content.index('"', start)].replace("&amp;", "&")
    assert "format=csv" in link
    response = client.get(link)
    rows = mention_csv(response)
    assert [r["claim_id"] for r in rows] == [str(story["other"].pk)]


def test_mentions_export_query_count_does_not_grow_with_mentions(
    client_for, story, project, django_assert_max_num_queries
) -> None:
    for n in range(30):
        mark(story["early"], ClaimFactory(project=project, statement=f"Claim {n}"), "Officials")
    client = client_for("viewer")
    for fmt in ("csv", "xlsx"):
        with django_assert_max_num_queries(2):
            assert body(client.get(MENTIONS, {"format": fmt}))
