"""Loading articles through the API: text, file upload and URL, all through the loading
services (same duplicate check, same queued processing)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Article
from annotations.services.extraction import ExtractedArticle
from common.models import OutboxMessage
from tests.api.conftest import ARTICLE_TEXT

PROCESS = "annotations.process_article"


def test_pasted_text_becomes_an_article_and_is_queued_for_processing(client_for, project) -> None:
    response = client_for("editor").post(
        "/api/articles/",
        {
            "project": project.pk,
            "text": "Line one of the story.\r\nLine two.",
            "outlet": "Herald",
            "url": "https://herald.example/story",
            "published_at": "2024-05-01T10:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["text"] == "Line one of the story.\nLine two."
    assert (data["title"], data["source_name"]) == ("Line one of the story.", "Herald")
    assert data["processing_state"] == "pending"
    assert OutboxMessage.objects.filter(task_name=PROCESS, args=[data["id"]]).exists()


def test_the_same_text_twice_is_refused_with_409_naming_the_existing_article(
    client_for, project, article
) -> None:
    response = client_for("editor").post(
        "/api/articles/", {"project": project.pk, "text": ARTICLE_TEXT}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["article_id"] == article.pk
    assert "already in the project" in body["detail"]


def test_an_uploaded_html_file_is_reduced_to_its_text(client_for, project) -> None:
    html = (
        b"<html><head><title>Bridge</title></head><body><nav>Menu Home About</nav>"
        b"<article><h1>Bridge approved</h1><p>The council approved the new bridge on Monday "
        b"after a long debate about its cost and the three years it will take.</p>"
        b"<p>Critics said the cost was too high, while the mayor called it a fair price.</p>"
        b"</article></body></html>"
    )
    upload = SimpleUploadedFile("bridge.html", html, content_type="text/html")
    response = client_for("editor").post(
        "/api/articles/upload/", {"project": project.pk, "file": upload, "outlet": "Gazette"}
    )
    assert response.status_code == 201, response.json()
    article = Article.objects.get(pk=response.json()["id"])
    assert "approved the new bridge" in article.text
    assert "<p>" not in article.text
    assert article.source is not None and article.source.name == "Gazette"


def test_upload_of_a_binary_or_unsupported_file_is_a_clear_400(client_for, project) -> None:
    client = client_for("editor")
    pdf = SimpleUploadedFile("report.pdf", b"%PDF-1.4 binary", content_type="application/pdf")
    response = client.post("/api/articles/upload/", {"project": project.pk, "file": pdf})
    assert response.status_code == 400
    assert "not supported" in response.json()["detail"]
    missing = client.post("/api/articles/upload/", {"project": project.pk})
    assert missing.status_code == 400
    assert missing.json()["errors"]["file"]


def test_viewer_upload_is_forbidden_before_the_file_is_read(client_for, project) -> None:
    upload = SimpleUploadedFile("a.txt", b"Some text.", content_type="text/plain")
    response = client_for("viewer").post(
        "/api/articles/upload/", {"project": project.pk, "file": upload}
    )
    assert response.status_code == 403


def test_a_fetched_page_becomes_an_article(client_for, project, monkeypatch) -> None:
    def fake_fetch(url: str) -> ExtractedArticle:
        return ExtractedArticle(text="Fetched story text.", title="Fetched", url=url, outlet="Wire")

    monkeypatch.setattr("annotations.services.articles.fetch_url", fake_fetch)
    response = client_for("editor").post(
        "/api/articles/from-url/",
        {"project": project.pk, "url": "https://wire.example/a"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["title"], response.json()["source_name"]) == ("Fetched", "Wire")


def test_a_non_http_address_is_refused(client_for, project) -> None:
    response = client_for("editor").post(
        "/api/articles/from-url/",
        {"project": project.pk, "url": "ftp://files.example/a"},
        format="json",
    )
    assert response.status_code == 400


def test_articles_filter_by_outlet_and_publication_date(client_for, project, article) -> None:
    client = client_for("viewer")
    by_source = client.get("/api/articles/", {"source": article.source_id}).json()["results"]
    assert [a["id"] for a in by_source] == [article.pk]
    assert "text" not in by_source[0]  # lists leave the text out
    later = client.get("/api/articles/", {"published_after": "2024-03-05T00:00:00Z"}).json()
    assert later["results"] == []
    detail = client.get(f"/api/articles/{article.pk}/").json()
    assert detail["text"] == ARTICLE_TEXT


def test_a_created_article_is_answered_as_it_is_then_read(client_for, project) -> None:
    """The 201 body is built from the saved row, not read back: it must be what a read gives."""
    client = client_for("editor")
    response = client.post(
        "/api/articles/",
        {
            "project": project.pk,
            "text": "Tuesday's vote.\r\nThe  bridge\twill cost more.",
            "outlet": "Herald",
            "published_at": "2024-05-01T12:00:00+02:00",
            "language": "EN",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created == client.get(f"/api/articles/{created['id']}/").json()
    assert created["published_at"] == "2024-05-01T10:00:00Z"
    assert (created["language"], created["annotation_count"]) == ("en", 0)
