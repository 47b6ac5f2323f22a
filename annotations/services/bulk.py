"""Bulk loading from files, folders, URLs and manifests (the load_articles command)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotations.models import Project
from annotations.services.articles import article_create_from_file, article_create_from_url
from annotations.services.extraction import SUPPORTED_SUFFIXES, _parse_published
from common.errors import ApplicationError, Conflict

MSG_NOT_FOUND = "No such file or folder."
MSG_MANIFEST = "The manifest {path} is not valid: {reason}."


@dataclass
class LoadItem:
    """One thing to load: a file path or a URL, with metadata given by hand."""

    location: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadReport:
    loaded: list[tuple[str, int]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


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


def _load_one(project: Project, item: LoadItem) -> int:
    if item.location.startswith(("http://", "https://")):
        return article_create_from_url(project=project, url=item.location, **item.meta).pk
    path = Path(item.location)
    if not path.is_file():
        raise ApplicationError(MSG_NOT_FOUND)
    return article_create_from_file(
        project=project, data=path.read_bytes(), filename=path.name, **item.meta
    ).pk


def articles_load(
    *, project: Project, items: Iterable[LoadItem], progress: Callable[[str], None] | None = None
) -> LoadReport:
    """Load each item in its own transaction: one bad file never blocks or half-saves another."""
    report = LoadReport()
    for item in items:
        try:
            report.loaded.append((item.location, _load_one(project, item)))
        except Conflict as exc:
            report.duplicates.append((item.location, exc.message))
        except ApplicationError as exc:
            report.failed.append((item.location, exc.message))
        except OSError as exc:
            report.failed.append((item.location, f"Could not read the file: {exc.strerror or exc}"))
        if progress is not None:
            progress(item.location)
    return report


def parse_date_option(value: str | None) -> dt.datetime | None:
    return _parse_published(value) if value else None
