"""Turn uploaded bytes, HTML pages and Markdown into clean article text plus metadata.

Each failure raises ApplicationError with a message an editor can act on; nothing is saved here.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath

import charset_normalizer
import trafilatura
import trafilatura.settings
from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from markdown_it import MarkdownIt

from annotations.languages import language_code
from common.errors import ApplicationError

MSG_EMPTY = "The file {name} is empty."
MSG_BINARY = "The file {name} is not text (it looks like binary data); upload .txt, .md or .html."
MSG_ENCODING = "The file {name} is not in a text encoding Claimtrack can read; save it as UTF-8."
MSG_TOO_LARGE = "The file {name} is {size:,} bytes; the limit is {limit:,} bytes."
MSG_UNSUPPORTED = "Files of type {suffix} are not supported; upload .txt, .md or .html."
MSG_NO_TEXT = "No article text could be found in {name}."

SUPPORTED_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm"}
# Share of control characters above which decoded bytes are called binary, not text.
_CONTROL_SHARE_LIMIT = 0.01
# Legacy encodings preferred when detection is a tie, and how close counts as a tie.
_WESTERN = ("cp1252", "latin_1", "iso8859_15")
_CHAOS_MARGIN = 0.02


@dataclass
class ExtractedArticle:
    text: str
    title: str = ""
    byline: str = ""
    url: str = ""
    outlet: str = ""
    published_at: dt.datetime | None = None
    language: str = ""
    warnings: list[str] = field(default_factory=list)


def normalize_newlines(text: str) -> str:
    """Unix newlines only: offsets into a plain-text file stay those of the file (gold files and
    W3C selectors made outside Claimtrack point into the text as given, so no NFC here either)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalize_text(text: str) -> str:
    """NFC, Unix newlines, no trailing spaces, no runs of blank lines, no outer whitespace."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def content_hash(text: str) -> str:
    """Hash of the text with whitespace collapsed: the same article re-saved is a duplicate."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def decode_bytes(data: bytes, *, name: str) -> str:
    """UTF-8 first (with or without BOM); otherwise the encoding charset-normalizer detects."""
    if not data.strip():
        raise ApplicationError(MSG_EMPTY.format(name=name))
    text = _decode_utf16(data, name=name)
    if text is None:
        if b"\x00" in data[:8192]:
            raise ApplicationError(MSG_BINARY.format(name=name))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_legacy(data, name=name)
    # PostgreSQL text cannot hold NUL, and only the head was sniffed above: look at all of it.
    if "\x00" in text:
        raise ApplicationError(MSG_BINARY.format(name=name))
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(2, len(text) * _CONTROL_SHARE_LIMIT):
        raise ApplicationError(MSG_BINARY.format(name=name))
    return text


def _decode_utf16(data: bytes, *, name: str) -> str | None:
    """UTF-16 text saved with a byte order mark (Windows "Unicode" files), or None if no BOM.
    Its NUL bytes are the encoding's, not a sign of a binary file."""
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise ApplicationError(MSG_ENCODING.format(name=name)) from exc


def _decode_legacy(data: bytes, *, name: str) -> str:
    """Detect a legacy encoding. Short texts are ambiguous between code pages that all decode
    cleanly; among guesses as clean as the best, prefer the Western ones newsrooms' files use."""
    results = charset_normalizer.from_bytes(data)
    best = results.best()
    if best is None:
        raise ApplicationError(MSG_ENCODING.format(name=name))
    for match in results:
        if match.encoding in _WESTERN and match.chaos <= best.chaos + _CHAOS_MARGIN:
            return str(match)
    return str(best)


def _parse_published(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value[:10])
        if day is None:
            return None
        parsed = dt.datetime.combine(day, dt.time())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def extract_html(html: str, *, name: str, url: str = "") -> ExtractedArticle:
    """The article body and metadata of a web page (trafilatura drops navigation and ads)."""
    doc = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False, include_tables=False
    )
    text = normalize_text(doc.text or "") if isinstance(doc, trafilatura.settings.Document) else ""
    if not text or not isinstance(doc, trafilatura.settings.Document):
        raise ApplicationError(MSG_NO_TEXT.format(name=name))
    return ExtractedArticle(
        text=text,
        title=(doc.title or "")[:500],
        byline=(doc.author or "")[:500],
        url=url or doc.url or "",
        outlet=doc.sitename or (doc.hostname or ""),
        published_at=_parse_published(doc.date),
        language=language_code(doc.language or ""),
    )


def extract_markdown(source: str, *, name: str) -> ExtractedArticle:
    """Markdown reduced to its text: markup dropped, one line per block, first heading as title."""
    tokens = MarkdownIt().parse(source)
    lines: list[str] = []
    title = ""
    for index, token in enumerate(tokens):
        if token.type != "inline":
            continue
        words = "".join(
            child.content for child in token.children or [] if child.type in {"text", "code_inline"}
        )
        words = words or token.content
        if not title and index and tokens[index - 1].type == "heading_open":
            title = words
        lines.append(words)
    text = normalize_text("\n".join(lines))
    if not text:
        raise ApplicationError(MSG_NO_TEXT.format(name=name))
    return ExtractedArticle(text=text, title=title[:500])


def extract_file(data: bytes, *, name: str) -> ExtractedArticle:
    """Dispatch on the file name's suffix; plain text keeps its first line as the title."""
    limit = settings.CLAIMTRACK_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise ApplicationError(MSG_TOO_LARGE.format(name=name, size=len(data), limit=limit))
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ApplicationError(MSG_UNSUPPORTED.format(suffix=suffix or "(none)"))
    decoded = decode_bytes(data, name=name)
    if suffix in {".html", ".htm"}:
        return extract_html(decoded, name=name)
    if suffix in {".md", ".markdown"}:
        return extract_markdown(decoded, name=name)
    text = normalize_newlines(decoded)
    if not text.strip():
        raise ApplicationError(MSG_EMPTY.format(name=name))
    return ExtractedArticle(text=text)
