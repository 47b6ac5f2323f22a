"""Loading many articles at once: each checked as `article_create` checks one, saved in batches.

An article loaded here is the one `article_create` would have saved: the same fields, outlet,
history row and processing task, queued through the outbox; only the
number of queries differs (a few per batch instead of several per article).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import TextChoices
from simple_history.utils import bulk_create_with_history

from annotations.models import Article, Project, Role, Source
from annotations.permissions import require_role
from annotations.services.articles import (
    MSG_DUPLICATE,
    TASK_PROCESS_ARTICLE,
    article_build,
    article_check_fields,
    source_key,
)
from common.errors import ApplicationError
from common.outbox import enqueue_many

logger = logging.getLogger(__name__)

# Articles per transaction. Each batch costs a handful of queries (duplicates, outlets, one
# INSERT of articles, one of history rows, one of outbox rows) whatever its size; its rows and
# their texts are held in memory until it commits, and a database failure fails them all.
BULK_BATCH = 500


class ItemStatus(TextChoices):
    LOADED = "loaded"
    DUPLICATE = "duplicate"
    FAILED = "failed"


LOADED, DUPLICATE, FAILED = ItemStatus.LOADED, ItemStatus.DUPLICATE, ItemStatus.FAILED

MSG_BATCH_FAILED = (
    "The database refused the batch this article was in, so none of that batch was saved "
    "({error}); load these articles again."
)


@dataclass
class ArticleDraft:
    """One article of an upload as read: `fields` are article_create's keywords (text, title,
    outlet, url, byline, published_at, language), or `error` says why it could not be read."""

    name: str
    fields: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class ItemReport:
    index: int
    name: str
    status: str = FAILED
    article_id: int | None = None
    error: str | None = None


@dataclass
class BulkReport:
    items: list[ItemReport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    # The load_articles summary's view of the report: (name, article id or message).
    @property
    def loaded(self) -> list[tuple[str, int]]:
        return [(i.name, i.article_id) for i in self.items if i.status == LOADED and i.article_id]

    @property
    def duplicates(self) -> list[tuple[str, str]]:
        return [(i.name, i.error or "") for i in self.items if i.status == DUPLICATE]

    @property
    def failed(self) -> list[tuple[str, str]]:
        return [(i.name, i.error or "") for i in self.items if i.status == FAILED]


@dataclass
class _Pending:
    """A checked article of the batch, waiting to be saved (or found a duplicate)."""

    item: ItemReport
    article: Article
    source: tuple[str, str] | None
    first: _Pending | None = None  # the article of this upload with the same text


def articles_bulk_create(
    *,
    project: Project,
    drafts: Iterable[ArticleDraft],
    actor: User | None = None,
    batch_size: int = BULK_BATCH,
    progress: Callable[[int], None] | None = None,
) -> BulkReport:
    """Load the drafts into the project; a report item per draft, in their order.

    1. Check the actor may edit the project (None: a command-line or system load).
    2. Per batch of drafts: check each as article_create does (same messages); one that fails
       is reported failed and never stops the others.
    3. Find the duplicates: texts already in the project (one query) or met earlier in this
       upload; each is reported with the article that holds the text.
    4. Save the rest in one transaction: outlets got or created together, the articles with
       their history rows, one processing task each through the outbox. A database error
       fails that batch alone, with a message saying so; the batches before it stay saved.
    `progress` is called with the number of drafts done after each batch.
    """
    if actor is not None:
        require_role(actor, project, Role.EDITOR)
    report = BulkReport()
    seen: dict[str, _Pending] = {}  # content hash -> the article of this upload that has it
    numbered = enumerate(drafts)
    while batch := list(islice(numbered, batch_size)):
        pending = [p for p in _checked(project, batch, actor, report) if p]
        fresh = _not_duplicates(project, pending, seen)
        _save(project, fresh)
        _settle(pending, seen)
        if progress is not None:
            progress(len(report.items))
    return report


def _checked(
    project: Project, batch: list[tuple[int, ArticleDraft]], actor: User | None, report: BulkReport
) -> Iterator[_Pending | None]:
    for index, draft in batch:
        item = ItemReport(index, draft.name, error=draft.error or None)
        report.items.append(item)
        if draft.error:
            yield None
            continue
        fields = dict(draft.fields)
        outlet = fields.pop("outlet", "") or ""
        try:
            article = article_build(project=project, actor=actor, **fields)
            article_check_fields(article)
        except ApplicationError as exc:
            item.error = exc.message
            yield None
            continue
        except ValidationError as exc:
            item.error = _validation_message(exc)
            yield None
            continue
        yield _Pending(item, article, source_key(outlet, article.url))


def _validation_message(exc: ValidationError) -> str:
    """A field's check as the API words it ("url: Enter a valid URL.")."""
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def _not_duplicates(
    project: Project, pending: list[_Pending], seen: dict[str, _Pending]
) -> list[_Pending]:
    """The pending articles whose text neither the project nor this upload holds yet; the
    others are marked duplicates (of the stored article, or of `first` in this upload)."""
    digests = {p.article.content_hash for p in pending}
    stored = {
        digest: (pk, title)
        for digest, pk, title in Article.objects.filter(
            project=project, content_hash__in=digests
        ).values_list("content_hash", "pk", "title")
    }
    fresh = []
    for p in pending:
        digest = p.article.content_hash
        if digest in stored:
            pk, title = stored[digest]
            _duplicate(p.item, pk, title)
        elif digest in seen:
            p.first = seen[digest]
        else:
            seen[digest] = p
            fresh.append(p)
    return fresh


def _duplicate(item: ItemReport, pk: int, title: str) -> None:
    item.status, item.article_id = DUPLICATE, pk
    item.error = MSG_DUPLICATE.format(title=title or "untitled", pk=pk)


def _save(project: Project, fresh: list[_Pending]) -> None:
    """Save the batch in one transaction. A text stored meanwhile by a concurrent load makes
    the INSERT fail on the unique constraint: those are found as duplicates and the batch is
    saved once more without them."""
    for attempt in range(2):
        try:
            _insert(project, fresh)
            return
        except IntegrityError as exc:
            if attempt == 0:
                for p in fresh:  # saved again from scratch
                    p.article.pk, p.article.source = None, None
                fresh = _not_duplicates(project, fresh, {})
                continue
            _fail(fresh, exc)
        except DatabaseError as exc:
            _fail(fresh, exc)
            return


def _fail(fresh: list[_Pending], exc: DatabaseError) -> None:
    logger.exception("A batch of %d articles could not be saved.", len(fresh))
    error = MSG_BATCH_FAILED.format(error=type(exc).__name__)
    for p in fresh:
        p.item.status, p.item.article_id, p.item.error = FAILED, None, error


def _insert(project: Project, fresh: list[_Pending]) -> None:
    if not fresh:
        return
    with transaction.atomic():
        sources = _sources(project, [p.source for p in fresh if p.source])
        for p in fresh:
            p.article.source = sources[p.source[0]] if p.source else None
        # History rows as a save writes them: their author is the request's user, if any.
        articles = bulk_create_with_history([p.article for p in fresh], Article)
        enqueue_many(TASK_PROCESS_ARTICLE, [[article.pk] for article in articles])
    for p, article in zip(fresh, articles, strict=True):
        p.item.status, p.item.article_id, p.item.error = LOADED, article.pk, None


def _sources(project: Project, keys: list[tuple[str, str]]) -> dict[str, Source]:
    """The project's outlets by name, created where missing (the first article naming one
    gives its domain, as get_or_create does for articles loaded one by one)."""
    domains: dict[str, str] = {}
    for name, domain in keys:
        domains.setdefault(name, domain)
    Source.objects.bulk_create(
        [Source(project=project, name=name, domain=domain) for name, domain in domains.items()],
        ignore_conflicts=True,
    )
    return {s.name: s for s in Source.objects.filter(project=project, name__in=list(domains))}


def _settle(pending: list[_Pending], seen: dict[str, _Pending]) -> None:
    """Report the batch's copies of a text met earlier in the upload: duplicates of the
    article holding it, or failed with the one that failed. A text whose article failed is
    free again for a later batch."""
    for p in pending:
        first = p.first.item if p.first else None
        if first is None:
            continue
        if first.status == LOADED and first.article_id is not None and p.first:
            _duplicate(p.item, first.article_id, p.first.article.title)
        elif first.status == DUPLICATE:
            p.item.status, p.item.article_id, p.item.error = (
                first.status,
                first.article_id,
                first.error,
            )
        else:
            p.item.error = first.error
    for digest, held in list(seen.items()):
        if held.item.status == FAILED:
            del seen[digest]
