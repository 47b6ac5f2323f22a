"""Bulk loading from files, folders, JSONL/CSV/ZIP files, URLs and manifests (load_articles)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotations.models import Project
from annotations.services.articles import merge_metadata
from annotations.services.bulk_articles import ArticleDraft, BulkReport, articles_bulk_create
from annotations.services.bulk_inputs import draft_from_file, drafts_from_upload
from annotations.services.extraction import SUPPORTED_SUFFIXES, _parse_published
from annotations.services.fetching import fetch_url
from common.errors import ApplicationError

MSG_NOT_FOUND = "No such file or folder."
MSG_MANIFEST = "The manifest {path} is not valid: {reason}."


@dataclass
class LoadItem:
    """One thing to load: a file path or a URL, with metadata given by hand."""

    location: str
    meta: dict[str, Any] = field(default_factory=dict)


# Files that hold many articles: one per line or row, or one per file of the archive.
BULK_SUFFIXES = {".jsonl", ".csv", ".zip"}


def items_from_paths(paths: Iterable[str], meta: dict[str, Any]) -> Iterator[LoadItem]:
    """Files as given, folders walked for supported files (sorted), URLs passed through."""
    for raw in paths:
        if raw.startswith(("http://", "https://")):
            yield LoadItem(raw, dict(meta))
            continue
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield LoadItem(str(child), dict(meta))
        else:
            yield LoadItem(str(path), dict(meta))


def items_from_manifest(manifest: Path) -> list[LoadItem]:
    """A JSON manifest: {"articles": [{"path" or "url", "outlet", "title", "published_at", ...}]}."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        entries = data["articles"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ApplicationError(MSG_MANIFEST.format(path=manifest, reason=exc)) from exc
    items = []
    for entry in entries:
        meta = {
            k: entry[k] for k in ("outlet", "title", "url", "byline", "language") if entry.get(k)
        }
        if entry.get("published_at"):
            meta["published_at"] = _parse_published(str(entry["published_at"]))
        location = (entry.get("path") and str(manifest.parent / entry["path"])) or entry.get(
            "url", ""
        )
        items.append(LoadItem(location, meta))
    return items


def _drafts(item: LoadItem) -> Iterator[ArticleDraft]:
    """The article (or, for a .jsonl, .csv or .zip, the articles) an item names; one that
    cannot be read is a failed draft, so the rest still load."""
    if item.location.startswith(("http://", "https://")):
        try:
            extracted = fetch_url(item.location)
        except ApplicationError as exc:
            yield ArticleDraft(item.location, error=exc.message)
            return
        meta = merge_metadata(extracted, item.meta)
        yield ArticleDraft(item.location, {"text": extracted.text, **meta})
        return
    path = Path(item.location)
    try:
        if not path.is_file():
            raise ApplicationError(MSG_NOT_FOUND)
        data = path.read_bytes()
        if path.suffix.lower() not in BULK_SUFFIXES:
            yield draft_from_file(item.location, data, item.meta)
            return
        for draft in drafts_from_upload(item.location, data):
            draft.fields.update({k: v for k, v in item.meta.items() if v and draft.fields})
            yield draft
    except ApplicationError as exc:
        yield ArticleDraft(item.location, error=exc.message)
    except OSError as exc:
        yield ArticleDraft(item.location, error=f"Could not read the file: {exc.strerror or exc}")


def articles_load(
    *,
    project: Project,
    items: Iterable[LoadItem],
    progress: Callable[[int], None] | None = None,
) -> BulkReport:
    """Load every article the items name, in batches (articles_bulk_create): one bad file or
    row never blocks or half-saves another. `progress` gets the number of articles done."""
    drafts = (draft for item in items for draft in _drafts(item))
    return articles_bulk_create(project=project, drafts=drafts, progress=progress)


def parse_date_option(value: str | None) -> dt.datetime | None:
    return _parse_published(value) if value else None
