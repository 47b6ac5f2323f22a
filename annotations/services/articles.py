"""Loading articles: pasted text, uploaded files and fetched URLs all end in `article_create`."""

from __future__ import annotations

import datetime as dt
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


def _source_for(project: Project, outlet: str, url: str) -> Source | None:
    domain = urlparse(url).hostname or "" if url else ""
    name = outlet.strip() or domain
    if not name:
        return None
    source, _ = Source.objects.get_or_create(
        project=project, name=name[:200], defaults={"domain": domain[:253]}
    )
    return source


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
    2. Normalise newlines (offsets stay those of the text given) and refuse it if empty or already in the project (409 Conflict).
    3. Keep the language given (as its ISO 639-1 code), else detect it from the text.
    4. Save article and outlet in one transaction; nothing is half-saved on failure.
    5. Queue segmentation and embedding through the outbox.
    """
    if actor is not None:
        require_role(actor, project, Role.EDITOR)
    text = normalize_newlines(text)
    if not text.strip():
        raise ApplicationError(MSG_EMPTY_TEXT)
    if "\x00" in text:  # PostgreSQL text cannot store it: refuse rather than fail on save
        raise ApplicationError(MSG_NUL_TEXT)
    code = language_code(language)
    if language.strip() and not code:
        raise ApplicationError(MSG_LANGUAGE.format(value=language.strip()[:40]))
    digest = content_hash(text)
    existing = _holding(project, digest)
    if existing is not None:
        raise Conflict(
            MSG_DUPLICATE.format(title=existing.title or "untitled", pk=existing.pk),
            extra={"article_id": existing.pk},
        )
    code = code or detect_language(text)
    try:
        with transaction.atomic():
            article = Article(
                project=project,
                source=_source_for(project, outlet, url),
                title=(title or default_title(text))[:500],
                url=url,
                byline=byline[:500],
                published_at=published_at,
                language=code,
                text=text,
                content_hash=digest,
                created_by=actor,
            )
            # The field checks only: the related rows are the ones at hand (each checked would
            # cost a query), the text was checked above and a duplicate is caught below.
            article.full_clean(
                exclude=["content_hash", "project", "source", "created_by"],
                validate_unique=False,
                validate_constraints=False,
            )
            article.save()
            enqueue(TASK_PROCESS_ARTICLE, article.pk)
    except IntegrityError as exc:  # a concurrent load of the same text won the race
        existing = _holding(project, digest)
        if existing is None:
            raise
        raise Conflict(
            MSG_DUPLICATE.format(title=existing.title or "untitled", pk=existing.pk),
            extra={"article_id": existing.pk},
        ) from exc
    return article


def _merge(extracted: ExtractedArticle, overrides: dict[str, Any]) -> dict[str, Any]:
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
        project=project, text=extracted.text, actor=actor, **_merge(extracted, meta)
    )


def article_create_from_url(
    *, project: Project, url: str, actor: User | None = None, **meta: Any
) -> Article:
    if actor is not None:
        require_role(actor, project, Role.EDITOR)
    extracted = fetch_url(url)
    return article_create(
        project=project, text=extracted.text, actor=actor, **_merge(extracted, meta)
    )


def article_reprocess(*, article: Article) -> None:
    """Queue the article to be segmented, embedded and matched again."""
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(
            processing_state=ProcessingState.PENDING, processing_error=""
        )
        enqueue(TASK_PROCESS_ARTICLE, article.pk)
