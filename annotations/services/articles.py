"""Loading articles: pasted text, uploaded files and fetched URLs all end in `article_create`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from annotations.languages import MSG_LANGUAGE, detect_language, language_code
from annotations.models import Article, ProcessingState, Project, Role, Source
from annotations.permissions import require_role
from annotations.services.extraction import (
    ExtractedArticle,
    content_hash,
    extract_file,
    normalize_newlines,
)
from annotations.services.fetching import fetch_url
from common.errors import ApplicationError, Conflict
from common.outbox import enqueue

TASK_PROCESS_ARTICLE = "annotations.process_article"

MSG_EMPTY_TEXT = "The article has no text."
MSG_NUL_TEXT = "The article text contains NUL characters (binary data); send plain text."
MSG_DUPLICATE = "This article is already in the project as “{title}” (article {pk})."


def default_title(text: str, limit: int = 120) -> str:
    """The first line of the text, cut at a word boundary."""
    first = text.strip().split("\n", 1)[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _holding(project: Project, digest: str) -> Article | None:
    """The project's article with this text, if any: only what the refusal names."""
    return Article.objects.filter(project=project, content_hash=digest).only("title").first()


def source_key(outlet: str, url: str) -> tuple[str, str] | None:
    """The outlet an article names, as (name, domain): its outlet, else its URL's host."""
    domain = urlparse(url).hostname or "" if url else ""
    name = outlet.strip() or domain
    return (name[:200], domain[:253]) if name else None


def _source_for(project: Project, outlet: str, url: str) -> Source | None:
    key = source_key(outlet, url)
    if key is None:
        return None
    source, _ = Source.objects.get_or_create(
        project=project, name=key[0], defaults={"domain": key[1]}
    )
    return source


def duplicate_error(existing: Article) -> Conflict:
    return Conflict(
        MSG_DUPLICATE.format(title=existing.title or "untitled", pk=existing.pk),
        extra={"article_id": existing.pk},
    )


def article_build(
    *,
    project: Project,
    text: str,
    title: str = "",
    url: str = "",
    byline: str = "",
    published_at: dt.datetime | None = None,
    language: str = "",
    actor: User | None = None,
) -> Article:
    """A new article, checked but not saved, with no outlet yet: what every load checks.

    1. Normalise newlines (offsets stay those of the text given); refuse it empty or with NUL.
    2. Keep the language given (as its ISO 639-1 code), else detect it from the text.
    No query: duplicates, outlets and the field checks (article_check_fields) are the caller's.
    """
    text = normalize_newlines(text)
    if not text.strip():
        raise ApplicationError(MSG_EMPTY_TEXT)
    if "\x00" in text:  # PostgreSQL text cannot store it: refuse rather than fail on save
        raise ApplicationError(MSG_NUL_TEXT)
    code = language_code(language)
    if language.strip() and not code:
        raise ApplicationError(MSG_LANGUAGE.format(value=language.strip()[:40]))
    article = Article(
        project=project,
        title=(title or default_title(text))[:500],
        url=url,
        byline=byline[:500],
        published_at=published_at,
        language=code or detect_language(text),
        text=text,
        content_hash=content_hash(text),
        created_by=actor,
    )
    return article


def article_check_fields(article: Article) -> None:
    """The field checks only: the related rows are the ones at hand (each checked would cost a
    query), the text was checked by article_build and a duplicate is the caller's to find."""
    article.full_clean(
        exclude=["content_hash", "project", "source", "created_by"],
        validate_unique=False,
        validate_constraints=False,
    )


def article_create(
    *,
    project: Project,
    text: str,
    title: str = "",
    outlet: str = "",
    url: str = "",
    byline: str = "",
    published_at: dt.datetime | None = None,
    language: str = "",
    actor: User | None = None,
) -> Article:
    """Save a new article and queue its processing after commit.

    1. Check the actor may edit the project (None: a command-line or system load).
    2. Check the article (article_build); refuse a text already in the project (409 Conflict).
    3. Save article and outlet in one transaction; nothing is half-saved on failure.
    4. Queue segmentation and embedding through the outbox.
    """
    if actor is not None:
        require_role(actor, project, Role.EDITOR)
    article = article_build(
        project=project,
        text=text,
        title=title,
        url=url,
        byline=byline,
        published_at=published_at,
        language=language,
        actor=actor,
    )
    digest = article.content_hash
    existing = _holding(project, digest)
    if existing is not None:
        raise duplicate_error(existing)
    try:
        with transaction.atomic():
            article_check_fields(article)
            article.source = _source_for(project, outlet, url)
            article.save()
            enqueue(TASK_PROCESS_ARTICLE, article.pk)
    except IntegrityError as exc:  # a concurrent load of the same text won the race
        existing = _holding(project, digest)
        if existing is None:
            raise
        raise duplicate_error(existing) from exc
    return article


def merge_metadata(extracted: ExtractedArticle, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata given by hand wins over what was found in the file or page."""
    found = {
        "title": extracted.title,
        "outlet": extracted.outlet,
        "url": extracted.url,
        "byline": extracted.byline,
        "published_at": extracted.published_at,
        "language": extracted.language,
    }
    return {key: overrides.get(key) or value for key, value in found.items()}


def article_create_from_file(
    *,
    project: Project,
    data: bytes,
    filename: str,
    actor: User | None = None,
    **meta: Any,
) -> Article:
    """An uploaded .txt / .md / .html file; `meta` (title, outlet, url...) overrides the file's."""
    if actor is not None:
        require_role(actor, project, Role.EDITOR)
    extracted = extract_file(data, name=filename)
    return article_create(
        project=project, text=extracted.text, actor=actor, **merge_metadata(extracted, meta)
    )


def article_create_from_url(
    *, project: Project, url: str, actor: User | None = None, **meta: Any
) -> Article:
    if actor is not None:
        require_role(actor, project, Role.EDITOR)
    extracted = fetch_url(url)
    return article_create(
        project=project, text=extracted.text, actor=actor, **merge_metadata(extracted, meta)
    )


def article_reprocess(*, article: Article) -> None:
    """Queue the article to be segmented, embedded and matched again."""
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(
            processing_state=ProcessingState.PENDING, processing_error=""
        )
        enqueue(TASK_PROCESS_ARTICLE, article.pk)
