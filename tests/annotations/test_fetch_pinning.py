"""URL fetches connect to the address that was checked, within one deadline, on loopback only."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import override_settings

from annotations.models import Article
from annotations.services import article_create_from_url
from annotations.services.fetching import MSG_URL_FAILED, REASON_TIMEOUT
from common.errors import ApplicationError

pytestmark = pytest.mark.django_db

PARAGRAPH = "<p>The river rose two metres overnight and flooded the lower town, the mayor said.</p>"
PAGE = (
    f"<html><head><title>Flood</title></head><body><article>{PARAGRAPH * 3}</article></body></html>"
)
PUBLIC_ADDRESS = "93.184.216.34"  # a global address; the test never really connects to it


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen_hosts: list[str]
    content_type = "text/html; charset=utf-8"

    def do_GET(self) -> None:
        self.server.seen_hosts.append(self.headers["Host"])  # type: ignore[attr-defined]
        if self.path.startswith("/redirect-inward"):
            port = self.server.server_port  # type: ignore[attr-defined]
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{port}/admin-panel")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/slow-headers"):
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._trickle(b"X-Padding: " + b"a" * 100)
            return
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", self.server.content_type)  # type: ignore[attr-defined]
        self.send_header(
            "Content-Length", str(len(body) * 100 if "slow" in self.path else len(body))
        )
        self.end_headers()
        if self.path.startswith("/slow-body"):
            self._trickle(body * 100)
            return
        self.wfile.write(body)

    def _trickle(self, data: bytes) -> None:
        """A byte at a time, each in time for any per-read timeout: only a total one ends it."""
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass  # the client gave up, as it should

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.seen_hosts = []  # type: ignore[attr-defined]
    httpd.content_type = _Handler.content_type  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("path", ["/slow-body", "/slow-headers"])
@override_settings(CLAIMTRACK_FETCH_ALLOW_PRIVATE=True, CLAIMTRACK_FETCH_TIMEOUT_S=1.0)
def test_a_trickling_server_is_cut_off_at_the_total_deadline(project, server, path) -> None:
    url = f"http://127.0.0.1:{server.server_port}{path}"
    started = time.monotonic()
    with pytest.raises(ApplicationError) as excinfo:
        article_create_from_url(project=project, url=url)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"the fetch took {elapsed:.1f} s with a 1 s deadline"
    assert excinfo.value.message == MSG_URL_FAILED.format(
        url=url, reason=REASON_TIMEOUT.format(seconds=1.0)
    )
    assert not Article.objects.exists()


def test_the_download_connects_to_the_address_that_was_checked(
    project, server, monkeypatch
) -> None:
    """DNS rebinding: the name answers a public address for the check, loopback afterwards."""
    port = server.server_port
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    answers = iter([PUBLIC_ADDRESS])
    lookups: list[str] = []
    connected: list[Any] = []

    def rebinding_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "news.example":
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(host)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    def routed_connect(sock: socket.socket, address: Any) -> Any:
        connected.append(tuple(address))
        if address[0] == PUBLIC_ADDRESS:  # stands in for the public site, served on loopback
            address = ("127.0.0.1", address[1])
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", routed_connect)
    article = article_create_from_url(project=project, url=f"http://news.example:{port}/flood")
    assert "two metres overnight" in article.text
    assert lookups == ["news.example"]
    assert connected == [(PUBLIC_ADDRESS, port)]
    assert server.seen_hosts == [f"news.example:{port}"]

    # A public page that redirects to loopback: the redirect target is checked anew.
    answers = iter([PUBLIC_ADDRESS])
    url = f"http://news.example:{port}/redirect-inward"
    with pytest.raises(ApplicationError) as excinfo:
        article_create_from_url(project=project, url=url)
    assert "points inside the server's own network" in excinfo.value.message
    assert server.seen_hosts[-1] == f"news.example:{port}"  # the loopback page was never asked
    assert Article.objects.count() == 1


@override_settings(CLAIMTRACK_FETCH_ALLOW_PRIVATE=True)
def test_an_unknown_charset_falls_back_to_detection(project, server) -> None:
    server.content_type = "text/html; charset=x-no-such-charset"
    article = article_create_from_url(
        project=project, url=f"http://127.0.0.1:{server.server_port}/"
    )
    assert "two metres overnight" in article.text
