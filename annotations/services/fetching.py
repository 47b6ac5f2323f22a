"""Download an article page from a URL an editor typed, without letting it reach inside.

The host is resolved once; the address that passed the check is the one connected to (the
Host header, TLS SNI and certificate check still use the host name). Resolving again to
connect would let a DNS answer that changes between the two (rebinding) reach loopback or
the cloud metadata endpoint. One deadline covers the whole download, redirects included.
"""

from __future__ import annotations

import codecs
import contextlib
import email.message
import http.client
import ipaddress
import socket
import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from urllib3.util.connection import create_connection

from annotations.services.extraction import (
    MSG_BINARY,
    MSG_TOO_LARGE,
    ExtractedArticle,
    decode_bytes,
    extract_html,
)
from common.errors import ApplicationError

MSG_URL_INVALID = "“{url}” is not an http(s) address."
MSG_URL_PRIVATE = (
    "{url} points inside the server's own network; only public addresses can be fetched."
)
MSG_URL_FAILED = "Could not fetch {url}: {reason}."
REASON_TIMEOUT = "it took longer than {seconds:g} s"
REASON_UNKNOWN_HOST = "unknown host"
REASON_TOO_MANY_REDIRECTS = "too many redirects"

USER_AGENT = "Claimtrack/0.1 (+newsroom tool)"
MAX_REDIRECTS = 5
# Bytes read per call; the size cap is checked between reads.
_CHUNK_BYTES = 64 * 1024
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_TIMEOUTS = (TimeoutError, urllib3.exceptions.TimeoutError)


class _Deadline:
    """One time limit for a whole download. Socket timeouts limit each read only, so a server
    sending a byte a second never trips them: a timer shuts the open sockets down instead."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends_at = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        left = self._ends_at - time.monotonic()
        if left <= 0 or self.expired:
            raise TimeoutError
        return left

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Wake any read blocked on the socket (close() alone would not) and end it."""
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class _PinnedConnectionMixin:
    """Connects to the address checked beforehand instead of resolving the host again."""

    _pinned_address: str
    _deadline: _Deadline
    port: int
    source_address: tuple[str, int] | None
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        sock = create_connection(
            (self._pinned_address, self.port),
            self._deadline.remaining(),
            source_address=self.source_address,
            socket_options=self.socket_options,
        )
        self._deadline.watch(sock)
        return sock


class _PinnedHTTPConnection(_PinnedConnectionMixin, urllib3.connection.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, urllib3.connection.HTTPSConnection):
    pass


def _checked_address(url: str) -> tuple[str, int, str]:
    """The URL's host, port and the one address to connect to.

    1. Refuse anything but http(s) with a host and a port in range.
    2. Resolve the host once; unless private addresses are allowed (tests, intranet setups),
       refuse it if any address is loopback, private or link-local (cloud metadata).
    3. Answer the first address: the download connects to it and nothing else.
    """
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # a port out of range, such as 99999
        raise ApplicationError(MSG_URL_INVALID.format(url=url)) from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ApplicationError(MSG_URL_INVALID.format(url=url))
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        reason = REASON_UNKNOWN_HOST
        raise ApplicationError(MSG_URL_FAILED.format(url=url, reason=reason)) from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise ApplicationError(MSG_URL_FAILED.format(url=url, reason=REASON_UNKNOWN_HOST))
    if not settings.CLAIMTRACK_FETCH_ALLOW_PRIVATE:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
                raise ApplicationError(MSG_URL_PRIVATE.format(url=url))
    return parts.hostname, port, addresses[0]


def _open(url: str, deadline: _Deadline) -> urllib3.connection.HTTPConnection:
    """A connection pinned to the URL's checked address, its GET sent."""
    host, port, address = _checked_address(url)
    parts = urlsplit(url)
    cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = cls(host, port, timeout=deadline.remaining())
    connection._pinned_address = address
    connection._deadline = deadline
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection.request("GET", target, headers={"User-Agent": USER_AGENT}, preload_content=False)
    return connection


def _read(response: urllib3.BaseHTTPResponse, limit: int) -> bytes:
    """The body, or its first `limit` + 1 bytes: enough to tell it is too large."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.stream(_CHUNK_BYTES):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)


def _download(url: str, deadline: _Deadline, limit: int) -> tuple[bytes, str | None]:
    """The body and the declared charset, following redirects (each target checked anew)."""
    for _ in range(MAX_REDIRECTS + 1):
        connection = _open(url, deadline)
        try:
            response = connection.getresponse()
            location = response.headers.get("Location")
            if response.status in _REDIRECT_STATUSES and location:
                url = urljoin(url, location)
                continue
            if response.status >= 400:
                reason = f"HTTP {response.status} {response.reason}"
                raise ApplicationError(MSG_URL_FAILED.format(url=url, reason=reason))
            data = _read(response, limit)
        finally:
            connection.close()
        if deadline.expired:  # the timer cut the body short: what was read is not the page
            raise TimeoutError
        return data, _declared_charset(response.headers.get("Content-Type", ""))
    raise ApplicationError(MSG_URL_FAILED.format(url=url, reason=REASON_TOO_MANY_REDIRECTS))


def _declared_charset(content_type: str) -> str | None:
    """The Content-Type's charset if Python knows it; an unknown one counts as none given."""
    message = email.message.Message()
    message["Content-Type"] = content_type
    charset = message.get_content_charset()
    if not charset:
        return None
    try:
        codecs.lookup(charset)
    except LookupError:
        return None
    return charset


def fetch_url(url: str) -> ExtractedArticle:
    """Download a page (public addresses only, size-capped, one deadline) and extract it."""
    limit = settings.CLAIMTRACK_MAX_UPLOAD_BYTES
    seconds = settings.CLAIMTRACK_FETCH_TIMEOUT_S
    try:
        with _Deadline(seconds) as deadline:
            try:
                data, charset = _download(url, deadline, limit)
            except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
                if deadline.expired or isinstance(exc, _TIMEOUTS):
                    raise TimeoutError from exc
                reason = getattr(exc, "reason", None) or exc
                raise ApplicationError(MSG_URL_FAILED.format(url=url, reason=reason)) from exc
    except TimeoutError as exc:
        reason = REASON_TIMEOUT.format(seconds=seconds)
        raise ApplicationError(MSG_URL_FAILED.format(url=url, reason=reason)) from exc
    if len(data) > limit:
        raise ApplicationError(MSG_TOO_LARGE.format(name=url, size=len(data), limit=limit))
    if charset is None:
        html = decode_bytes(data, name=url)
    else:
        html = data.decode(charset, errors="replace")
        if "\x00" in html:
            raise ApplicationError(MSG_BINARY.format(name=url))
    return extract_html(html, name=url, url=url)
