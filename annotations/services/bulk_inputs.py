"""Reading a bulk upload into article drafts: a JSONL, CSV or ZIP file, or a list of objects.

A draft that cannot be read carries its error and the others go on; an upload that cannot be
read at all raises ApplicationError (TooLarge past the limits). ZIP files are never unpacked
to disk: entries are read into memory within the limits, their names only label the report.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings

from annotations.services.articles import merge_metadata
from annotations.services.bulk_articles import ArticleDraft
from annotations.services.extraction import (
    SUPPORTED_SUFFIXES,
    _parse_published,
    decode_bytes,
    extract_file,
)
from common.errors import ApplicationError, TooLarge

MSG_UPLOAD_KIND = "Upload a .jsonl, .csv or .zip file of articles (not {name})."
MSG_NO_ARTICLES = "The upload {name} holds no articles."
MSG_NOT_OBJECT = "This item is not a JSON object with the article's fields."
MSG_JSON_LINE = "This line is not valid JSON: {reason}."
MSG_LINE_ENCODING = "This line is not UTF-8 text; save the file as UTF-8."
MSG_NO_TEXT = "The article text is missing: give it in “text”."
MSG_FIELD_TYPE = "“{field}” must be text."
MSG_BAD_DATE = "“{value}” in “published_at” is not a date; give one such as 2024-05-02."
MSG_CSV_NO_TEXT = "The CSV file {name} has no “text” column; its header row must name one."
MSG_CSV_ROW = "This row could not be read: {reason}."
MSG_ZIP_BAD = "The upload {name} is not a ZIP file that can be read."
MSG_ZIP_TOO_MANY = "The ZIP file holds {count:,} files; the limit is {limit:,}."
MSG_ZIP_TOO_LARGE = "The ZIP file unpacks to more than {limit:,} bytes, the limit."
MSG_ZIP_PATH = "A file name that leaves the archive (absolute, or with “..”) is refused."
MSG_ZIP_ENCRYPTED = "This file is encrypted; add it to the archive without a password."
MSG_ZIP_NESTED = "An archive inside the archive is not read; add its files to the outer one."
MSG_NOT_LIST = "Give the articles as a JSON list of objects in “articles”."
MSG_TOO_MANY = "The upload holds more than {limit:,} articles, the limit for one upload."

# The keywords of article_create a row or object may give; other keys are ignored.
TEXT_FIELDS = ("text", "title", "outlet", "url", "byline", "language")
TABLE_SUFFIXES = {".jsonl", ".csv"}
_SKIPPED_PREFIXES = ("__MACOSX", ".")


def draft_from_mapping(name: str, row: Any) -> ArticleDraft:
    """An object of a JSON list, a JSONL line or a CSV row: `text` required, the rest text."""
    if not isinstance(row, Mapping):
        return ArticleDraft(name, error=MSG_NOT_OBJECT)
    fields: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            return ArticleDraft(name, error=MSG_FIELD_TYPE.format(field=key))
        fields[key] = value or ""
    if row.get("text") is None:  # an empty one is article_create's to refuse, in its words
        return ArticleDraft(name, error=MSG_NO_TEXT)
    published = row.get("published_at")
    if published is not None and not isinstance(published, str):
        return ArticleDraft(name, error=MSG_FIELD_TYPE.format(field="published_at"))
    fields["published_at"] = _parse_published(published.strip()) if published else None
    if published and published.strip() and fields["published_at"] is None:
        return ArticleDraft(name, error=MSG_BAD_DATE.format(value=published.strip()[:40]))
    return ArticleDraft(name, fields)


def draft_from_file(name: str, data: bytes, meta: Mapping[str, Any] | None = None) -> ArticleDraft:
    """A .txt, .md or .html file, read as an upload of one article is (`meta` wins)."""
    try:
        extracted = extract_file(data, name=PurePosixPath(name).name)
    except ApplicationError as exc:
        return ArticleDraft(name, error=exc.message)
    return ArticleDraft(name, {"text": extracted.text, **merge_metadata(extracted, meta or {})})


def drafts_from_jsonl(name: str, data: bytes) -> Iterator[ArticleDraft]:
    """One JSON object per line (blank lines skipped); each line is checked on its own."""
    for number, raw in enumerate(data.split(b"\n"), start=1):
        label = f"{name}:{number}"
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            yield ArticleDraft(label, error=MSG_LINE_ENCODING)
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            yield ArticleDraft(label, error=MSG_JSON_LINE.format(reason=exc))
            continue
        yield draft_from_mapping(label, row)


def drafts_from_csv(name: str, data: bytes) -> Iterator[ArticleDraft]:
    """A header row naming the columns (`text` required), then one article per row. The file
    is decoded as uploads are: UTF-8, else the encoding detected (Excel saves Windows-1252)."""
    text = decode_bytes(data, name=name)
    # csv's own cap on a field is below an article's size limit (the setting is per process).
    csv.field_size_limit(max(csv.field_size_limit(), settings.CLAIMTRACK_MAX_UPLOAD_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [column.strip().lower() for column in next(reader, [])]
    if "text" not in header:
        raise ApplicationError(MSG_CSV_NO_TEXT.format(name=name))
    while True:
        label = f"{name}:{reader.line_num + 1}"
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ArticleDraft(label, error=MSG_CSV_ROW.format(reason=exc))
            continue
        if any(value.strip() for value in values):
            yield draft_from_mapping(label, dict(zip(header, values, strict=False)))


def drafts_from_zip(name: str, data: bytes) -> Iterator[ArticleDraft]:
    """Each article file of the archive (and each row of a .jsonl or .csv in it), in order.
    Refused whole: a file that is not a ZIP, more files than the limit (all counted before
    any is read), or more bytes unpacked than the limit."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir() and not _skipped(i.filename)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ApplicationError(MSG_ZIP_BAD.format(name=name)) from exc
    limit = settings.CLAIMTRACK_BULK_MAX_ITEMS
    if len(entries) > limit:
        raise TooLarge(MSG_ZIP_TOO_MANY.format(count=len(entries), limit=limit))
    budget = settings.CLAIMTRACK_BULK_MAX_UNZIPPED_BYTES
    if sum(entry.file_size for entry in entries) > budget:
        raise TooLarge(MSG_ZIP_TOO_LARGE.format(limit=budget))
    with archive:
        for entry in entries:
            content = _entry_bytes(archive, entry, budget)
            if isinstance(content, ArticleDraft):
                yield content
                continue
            budget -= len(content)
            yield from drafts_from_upload(entry.filename, content, inner=True)


def _skipped(filename: str) -> bool:
    """Files an archiver adds beside the articles (macOS resource forks, hidden files)."""
    parts = [part for part in filename.split("/") if part not in ("", ".", "..")]
    return any(part.startswith(_SKIPPED_PREFIXES) for part in parts)


def _entry_bytes(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: int) -> Any:
    """The entry's bytes, or a failed draft. Its declared size may lie: read at most what the
    budget has left and refuse the whole upload past it."""
    path = PurePosixPath(entry.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or ":" in entry.filename:
        return ArticleDraft(entry.filename, error=MSG_ZIP_PATH)
    if entry.flag_bits & 0x1:
        return ArticleDraft(entry.filename, error=MSG_ZIP_ENCRYPTED)
    try:
        with archive.open(entry) as stream:
            content = stream.read(budget + 1)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError):
        return ArticleDraft(entry.filename, error=MSG_ZIP_BAD.format(name=entry.filename))
    if len(content) > budget:
        raise TooLarge(MSG_ZIP_TOO_LARGE.format(limit=settings.CLAIMTRACK_BULK_MAX_UNZIPPED_BYTES))
    return content


def drafts_from_upload(name: str, data: bytes, *, inner: bool = False) -> Iterator[ArticleDraft]:
    """Dispatch on the file name: .jsonl, .csv, .zip (not inside another), or one article."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".jsonl":
        return drafts_from_jsonl(name, data)
    if suffix == ".csv":
        return drafts_from_csv(name, data)
    if suffix == ".zip":
        if inner:
            return iter([ArticleDraft(name, error=MSG_ZIP_NESTED)])
        return drafts_from_zip(name, data)
    if inner or suffix in SUPPORTED_SUFFIXES:
        return iter([draft_from_file(name, data)])
    raise ApplicationError(MSG_UPLOAD_KIND.format(name=name))


def drafts_checked(drafts: Iterator[ArticleDraft], *, name: str) -> list[ArticleDraft]:
    """All drafts of an upload, read before any is saved: past the article limit the upload
    is refused whole (TooLarge), and one with none is refused (nothing to report on)."""
    limit = settings.CLAIMTRACK_BULK_MAX_ITEMS
    out: list[ArticleDraft] = []
    for draft in drafts:
        if len(out) >= limit:
            raise TooLarge(MSG_TOO_MANY.format(limit=limit))
        out.append(draft)
    if not out:
        raise ApplicationError(MSG_NO_ARTICLES.format(name=name))
    return out


def drafts_from_objects(rows: Any) -> list[ArticleDraft]:
    """The `articles` list of a JSON request: each object an article."""
    if not isinstance(rows, list):
        raise ApplicationError(MSG_NOT_LIST)
    named = (draft_from_mapping(f"articles[{index}]", row) for index, row in enumerate(rows))
    return drafts_checked(iter(named), name="articles")
