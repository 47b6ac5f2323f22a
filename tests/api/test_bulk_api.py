"""POST /api/articles/bulk/ and GET /api/projects/<id>/progress/: roles, each input kind, the
report, unreadable uploads (400) and uploads past the limits (413)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from annotations.api.loading import MSG_BULK_FILE, MSG_BULK_INPUT, MSG_BULK_TOO_LARGE
from annotations.models import Article, ProcessingState
from annotations.services.bulk_inputs import MSG_CSV_NO_TEXT, MSG_NO_ARTICLES, MSG_ZIP_BAD
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db
URL = "/api/articles/bulk/"
TEXTS = [
    "The council approved the new bridge on Monday. Construction will take three years.",
    "Critics said the cost, 40 million euros, was too high. The mayor disagreed.",
]


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def post_file(client, project, name: str, data: bytes):
    return client.post(URL, {"project": project.pk, "file": upload(name, data)}, format="multipart")


def test_editor_loads_a_json_list_and_gets_a_report(client_for, project, editor) -> None:
    body = {
        "project": project.pk,
        "articles": [
            {"text": TEXTS[0], "outlet": "Gazette", "published_at": "2024-05-02T08:00:00Z"},
            {"text": ""},
            {"text": TEXTS[0]},
            {"text": TEXTS[1], "title": "Cost"},
        ],
    }
    response = client_for("editor").post(URL, body, format="json")
    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["loaded"], report["duplicates"], report["failed"]) == (2, 1, 1)
    first, blank, copy, cost = report["items"]
    assert first == {
        "index": 0,
        "name": "articles[0]",
        "status": "loaded",
        "article_id": first["article_id"],
        "error": None,
    }
    assert blank["status"] == "failed" and blank["error"] == "The article has no text."
    assert copy["status"] == "duplicate" and copy["article_id"] == first["article_id"]
    article = Article.objects.get(pk=cost["article_id"])
    assert (article.title, article.project, article.created_by) == ("Cost", project, editor)
    assert article.history.get().history_user == editor


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("feed.jsonl", (json.dumps({"text": TEXTS[0]}) + "\n" + json.dumps({"text": TEXTS[1]}))),
        ("sheet.csv", f'text,title\n"{TEXTS[0]}",One\n"{TEXTS[1]}",Two\n'),
    ],
)
def test_a_jsonl_or_csv_file_loads_each_row(client_for, project, name, data) -> None:
    response = post_file(client_for("owner"), project, name, data.encode())
    assert response.status_code == 200, response.json()
    assert response.json()["loaded"] == 2
    assert set(Article.objects.values_list("text", flat=True)) == set(TEXTS)


def test_a_zip_of_files_loads_each_file(client_for, project) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", TEXTS[0])
        archive.writestr(
            "b.html", f"<html><body><article><p>{TEXTS[1]}</p></article></body></html>"
        )
    response = post_file(client_for("editor"), project, "desk.zip", buffer.getvalue())
    assert response.status_code == 200, response.json()
    assert [(i["name"], i["status"]) for i in response.json()["items"]] == [
        ("a.txt", "loaded"),
        ("b.html", "loaded"),
    ]


def test_every_item_failing_is_still_a_report(client_for, project) -> None:
    response = post_file(client_for("editor"), project, "feed.jsonl", b"{bad\n[1]\n")
    assert response.status_code == 200
    assert response.json()["failed"] == 2 and not Article.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("desk.zip", b"not a zip", MSG_ZIP_BAD.format(name="desk.zip")),
        ("sheet.csv", b"title\nA\n", MSG_CSV_NO_TEXT.format(name="sheet.csv")),
        ("feed.jsonl", b"\n\n", MSG_NO_ARTICLES.format(name="feed.jsonl")),
    ],
)
def test_an_unreadable_upload_is_a_400(client_for, project, name, data, message) -> None:
    response = post_file(client_for("editor"), project, name, data)
    assert response.status_code == 400
    assert response.json()["detail"] == message
    assert not Article.objects.exists()


def test_neither_or_both_inputs_is_a_400(client_for, project) -> None:
    client = client_for("editor")
    response = client.post(URL, {"project": project.pk}, format="json")
    assert (response.status_code, response.json()["detail"]) == (400, MSG_BULK_INPUT)


def test_a_file_given_as_json_text_is_a_400(client_for, project) -> None:
    body = {"project": project.pk, "file": "text,title"}
    response = client_for("editor").post(URL, body, format="json")
    assert (response.status_code, response.json()["detail"]) == (400, MSG_BULK_FILE)


def test_malformed_json_is_a_400(client_for, project) -> None:
    response = client_for("editor").post(URL, data="{bad", content_type="application/json")
    assert response.status_code == 400 and "JSON parse error" in response.json()["detail"]


@override_settings(CLAIMTRACK_BULK_MAX_BYTES=1000)
def test_an_upload_past_the_bulk_limit_is_a_413(client_for, project) -> None:
    body = {"project": project.pk, "articles": [{"text": "x" * 2000}]}
    response = client_for("editor").post(URL, body, format="json")
    assert response.status_code == 413
    assert response.json() == {"detail": MSG_BULK_TOO_LARGE.format(limit=1000), "code": "too_large"}
    assert not Article.objects.exists()


def test_a_json_body_past_djangos_form_limit_loads(client_for, project, settings) -> None:
    """The bulk limit, not DATA_UPLOAD_MAX_MEMORY_SIZE, caps a bulk JSON body."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"project": project.pk, "articles": [{"text": TEXTS[0] + " " + "word " * 400}]}
    response = client_for("editor").post(URL, body, format="json")
    assert response.status_code == 200 and response.json()["loaded"] == 1


@override_settings(CLAIMTRACK_BULK_MAX_ITEMS=1)
def test_more_articles_than_the_limit_is_a_413(client_for, project) -> None:
    body = {"project": project.pk, "articles": [{"text": t} for t in TEXTS]}
    response = client_for("editor").post(URL, body, format="json")
    assert response.status_code == 413
    assert not Article.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("outsider", 404)])
def test_only_editors_of_the_project_bulk_load(client_for, project, persona, status) -> None:
    body = {"project": project.pk, "articles": [{"text": TEXTS[0]}]}
    response = client_for(persona).post(URL, body, format="json")
    assert response.status_code == status
    assert not Article.objects.exists()


def test_anonymous_is_a_401(client_for, project) -> None:
    response = client_for("anonymous").post(URL, {"project": project.pk, "articles": []}, "json")
    assert response.status_code == 401


def test_progress_counts_articles_by_state(client_for, project) -> None:
    ArticleFactory(project=project, processing_state=ProcessingState.PENDING)
    ArticleFactory(project=project, processing_state=ProcessingState.PROCESSED)
    ArticleFactory(project=project, processing_state=ProcessingState.FAILED)
    response = client_for("viewer").get(f"/api/projects/{project.pk}/progress/")
    assert response.status_code == 200
    assert response.json() == {
        "articles": 3,
        "pending": 1,
        "processing": 0,
        "processed": 1,
        "failed": 1,
        "matching": 1,
        "done": False,
    }
    assert client_for("outsider").get(f"/api/projects/{project.pk}/progress/").status_code == 404


def test_the_schema_documents_bulk_and_progress(api_client) -> None:
    paths = api_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    bulk = paths["/api/articles/bulk/"]["post"]
    assert set(bulk["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"200", "400", "403", "404", "413"} <= set(bulk["responses"])
    assert "200" in paths["/api/projects/{id}/progress/"]["get"]["responses"]
