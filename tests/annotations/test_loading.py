"""Loading articles: each format, each bad input with a clear message, nothing half-saved."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import override_settings

from annotations.models import Article, Source
from annotations.services import article_create, article_create_from_file, article_create_from_url
from annotations.services.extraction import (
    MSG_BINARY,
    MSG_EMPTY,
    MSG_TOO_LARGE,
    MSG_UNSUPPORTED,
)
from common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from common.models import OutboxMessage

pytestmark = pytest.mark.django_db

HTML = """<!doctype html><html><head><title>Flood | Gazette</title>
<meta name="author" content="Ana Lima">
<meta property="article:published_time" content="2024-05-02T08:00:00Z">
<meta property="og:site_name" content="The Gazette">
<script>document.title = 'pwned'</script></head>
<body><nav>Home | Politics | Sport | Weather</nav>
<article><h1>River rises two metres overnight</h1>
<p>The river rose two metres overnight and flooded the lower town, the mayor said on Thursday.</p>
<p>Three hundred people left their homes before dawn, according to the fire brigade.</p></article>
<footer>Copyright The Gazette. All rights reserved.</footer></body></html>"""


def test_pasted_text_is_saved_and_processing_is_queued(project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        article = article_create(
            project=project, text="A claim.\r\nAnother line.", outlet="Gazette"
        )
    assert article.text == "A claim.\nAnother line."
    assert article.source.name == "Gazette"
    assert len(callbacks) == 1
    assert OutboxMessage.objects.get().args == [article.pk]


def test_plain_text_keeps_its_offsets(project) -> None:
    article = article_create_from_file(project=project, data=b" date 2024\nBody.", filename="a.txt")
    assert article.text == " date 2024\nBody."
    assert article.title == "date 2024"


def test_latin1_file_loads_with_its_accents(project) -> None:
    text = "Le maire a déclaré que la crue était terminée à Besançon. Où sont les élèves ?"
    article = article_create_from_file(
        project=project, data=text.encode("latin-1"), filename="crue.txt"
    )
    assert article.text == text


def test_html_is_reduced_to_the_article_body_with_its_metadata(project) -> None:
    article = article_create_from_file(project=project, data=HTML.encode(), filename="flood.html")
    assert "two metres overnight and flooded" in article.text
    assert "Three hundred people" in article.text
    assert "Politics | Sport" not in article.text
    assert "Copyright" not in article.text
    assert "pwned" not in article.text
    assert article.byline == "Ana Lima"
    assert article.source is not None and article.source.name == "The Gazette"
    assert article.published_at is not None and article.published_at.year == 2024


def test_metadata_given_by_hand_wins(project) -> None:
    article = article_create_from_file(
        project=project, data=HTML.encode(), filename="flood.html", outlet="Wire", title="Mine"
    )
    assert article.source is not None
    assert (article.source.name, article.title) == ("Wire", "Mine")


def test_markdown_loses_its_markup(project) -> None:
    md = b"# Dam report\n\nThe dam is **40 metres** high, says [the agency](http://x.org).\n"
    article = article_create_from_file(project=project, data=md, filename="dam.md")
    assert article.title == "Dam report"
    assert "The dam is 40 metres high, says the agency." in article.text
    assert "**" not in article.text and "http://x.org" not in article.text


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", MSG_EMPTY.format(name="empty.txt")),
        (b"   \n\n", "blank.txt", MSG_EMPTY.format(name="blank.txt")),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.txt", MSG_BINARY.format(name="photo.txt")),
        (bytes(range(1, 32)) * 20, "noise.txt", MSG_BINARY.format(name="noise.txt")),
        (b"text", "report.pdf", MSG_UNSUPPORTED.format(suffix=".pdf")),
    ],
)
def test_bad_files_get_a_clear_message_and_save_nothing(project, data, name, message) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        article_create_from_file(project=project, data=data, filename=name)
    assert excinfo.value.message == message
    assert not Article.objects.exists()
    assert not OutboxMessage.objects.exists()


@override_settings(CLAIMTRACK_MAX_UPLOAD_BYTES=100)
def test_oversized_file_is_refused(project) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        article_create_from_file(project=project, data=b"a" * 101, filename="big.txt")
    assert excinfo.value.message == MSG_TOO_LARGE.format(name="big.txt", size=101, limit=100)


def test_duplicate_text_is_refused_with_the_existing_article(project) -> None:
    first = article_create(project=project, text="The bridge opened in 1998.")
    with pytest.raises(Conflict) as excinfo:
        article_create(project=project, text="The bridge  opened in 1998.\n")
    assert excinfo.value.extra == {"article_id": first.pk}
    assert Article.objects.count() == 1
    assert Source.objects.count() == 0


def test_viewer_cannot_load_and_outsider_sees_no_project(project, viewer, outsider) -> None:
    with pytest.raises(PermissionDenied):
        article_create(project=project, text="x y z", actor=viewer)
    with pytest.raises(NotFound):
        article_create(project=project, text="x y z", actor=outsider)
    assert not Article.objects.exists()


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/missing":
            self.send_error(404)
            return
        body = HTML.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_server():
    server = HTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_private_addresses_are_not_fetched(project, page_server) -> None:
    for url in (f"{page_server}/flood", "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(ApplicationError, match="inside the server's own network"):
            article_create_from_url(project=project, url=url)
    assert not Article.objects.exists()


@override_settings(CLAIMTRACK_FETCH_ALLOW_PRIVATE=True)
def test_url_is_fetched_and_extracted(project, page_server) -> None:
    article = article_create_from_url(project=project, url=f"{page_server}/flood")
    assert "Three hundred people" in article.text
    assert article.url == f"{page_server}/flood"


@override_settings(CLAIMTRACK_FETCH_ALLOW_PRIVATE=True)
def test_unreachable_url_gets_a_clear_message(project, page_server) -> None:
    with pytest.raises(ApplicationError, match=r"Could not fetch .*/missing"):
        article_create_from_url(project=project, url=f"{page_server}/missing")
    with pytest.raises(ApplicationError, match="not an http"):
        article_create_from_url(project=project, url="file:///etc/passwd")
    assert not Article.objects.exists()
