"""Segment an article into passages, embed them and index them for full-text search."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import Article, Passage, ProcessingState
from annotations.services import vector_index
from annotations.services.articles import TASK_PROCESS_ARTICLE
from annotations.services.embeddings import embed_with_windows, pack_vectors
from annotations.services.segmentation import Span, clause_windows, split_passages
from annotations.signals import article_processed
from common.copy import copy_rows
from common.outbox import enqueue
from common.tasks import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)


# The most articles one processing run embeds together: its own and others of its project
# waiting. Under a bulk load the worker's queue holds a processing task per article; the
# passages of a few articles share the model's passes (fuller batches, less padding), and the
# tasks of the articles a run took find nothing left to do. Measured by `manage.py bench`
# (loading): a pool of model passes over 4 articles each ran ~6% faster than one at a time.
PROCESS_BATCH = 4
# pg_try_advisory_lock(_LOCK_SPACE, article id): held by the run processing the article, so
# the article's own task, or another run, leaves it alone; released when the run ends, or by
# PostgreSQL when the connection of a killed worker goes away.
_LOCK_SPACE = 0x1F5A_0002
# A task whose article another run holds waits this long for that run to end (a batch takes
# about a second); past it, the task asks again later (ArticleBusy).
HOLD_WAIT_S = 30
_LOCK_NOT_AVAILABLE = "55P03"
_STATES_OWN = [ProcessingState.PENDING, ProcessingState.PROCESSING, ProcessingState.FAILED]
# Another article is taken if it waits, or if a run that died left it PROCESSING (unlocked).
_STATES_OTHER = [ProcessingState.PENDING, ProcessingState.PROCESSING]


class ArticleBusy(Exception):
    """Another run still holds the article after HOLD_WAIT_S: a killed worker's session that
    PostgreSQL has not ended yet (it frees the lock once it notices the lost connection). The
    task asks again a little later."""


@dataclass(frozen=True)
class ProcessingRun:
    article: Article | None  # the article asked for, if this run processed it
    processed: list[int]  # every article this run processed (each has its matching queued)
    busy: bool  # another run still holds the article asked for after HOLD_WAIT_S


def article_process(*, article_id: int) -> Article | None:
    """Process the article (and others waiting: articles_process). Returns it, or None when it
    needed nothing (processed already, by another run, or gone); ArticleBusy when another
    run still holds it after HOLD_WAIT_S."""
    run = articles_process(article_id=article_id)
    if run.busy:
        raise ArticleBusy(f"Article {article_id} is being processed by another run.")
    return run.article


def articles_process(*, article_id: int) -> ProcessingRun:
    """Build the article's passages, and those of other articles of its project waiting to be
    processed, up to PROCESS_BATCH in all. Idempotent: a re-run gives the same passages.

    1. Take the articles: this one unless it is processed, gone or held by another run; then
       its project's waiting ones, oldest first. Each is locked and moved to PROCESSING.
    2. Split each into sentences, cut their clause windows, and embed the sentences and
       clauses of all of them in one model pass (outside any transaction).
    3. Per article, in one transaction: keep passages whose span and text are unchanged (their
       review decisions stay attached), replace the rest (PostgreSQL computes their full-text
       vectors), mark PROCESSED and waiting for matching, and queue its matching.
    4. If another run held this article, wait for that run to end (up to HOLD_WAIT_S): it
       processed the article, or it died and the article is processed here.

    Errors: one in this article is raised (the task marks it failed); one in another article
    marks that one failed; one in the shared model pass puts the other articles back in the
    queue, each to be processed by its own task.
    """
    project_id = Article.objects.filter(pk=article_id).values_list("project_id", flat=True).first()
    if project_id is None:
        logger.info("Article %s no longer exists; nothing to process.", article_id)
        return ProcessingRun(None, [], busy=False)
    own = _claim([article_id], _STATES_OWN)
    waiting = (
        Article.objects.filter(project_id=project_id, processing_state__in=_STATES_OTHER)
        .exclude(pk=article_id)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    # A few more than the batch: some may be held by other runs.
    others = _claim(list(waiting[: 2 * PROCESS_BATCH]), _STATES_OTHER, PROCESS_BATCH - len(own))
    done = _run(article_id, own, others)
    if not own and _still_waiting(article_id):
        # Another run holds it: that run processes it; wait for it to end. If it died (its
        # session ended with it), the article still waits and is taken here.
        if not _wait_for_holder(article_id):
            return ProcessingRun(None, list(done), busy=True)
        done.update(_run(article_id, _claim_held(article_id), []))
    return ProcessingRun(done.get(article_id), list(done), busy=False)


def _run(article_id: int, own: list[int], others: list[int]) -> dict[int, Article]:
    """Process the articles taken (each locked); the ones processed, by id."""
    taken = own + others
    if not taken:
        return {}
    try:
        done = _process(article_id, taken)
    except Exception:
        release(taken)
        _requeue(others)
        if own:
            raise
        logger.exception("Processing articles %s failed; each is queued again.", others)
        return {}
    release(taken)
    return done


def _still_waiting(article_id: int) -> bool:
    return Article.objects.filter(pk=article_id, processing_state__in=_STATES_OTHER).exists()


def _wait_for_holder(article_id: int) -> bool:
    """Take the article's lock, waiting up to HOLD_WAIT_S for the run holding it. False when
    it is still held then (a killed worker's session that PostgreSQL has not ended yet)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{HOLD_WAIT_S}s'")
            cursor.execute(
                "SELECT pg_advisory_lock(%s, (%s %% 2147483647)::int)", [_LOCK_SPACE, article_id]
            )
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return False
        raise
    return True


def _claim_held(article_id: int) -> list[int]:
    """The article, now that this run holds its lock, if it still waits; else it is let go."""
    waiting = Article.objects.filter(pk=article_id, processing_state__in=_STATES_OTHER)
    if waiting.update(processing_state=ProcessingState.PROCESSING, processing_error=""):
        return [article_id]
    release([article_id])
    return []


_LOCK_SQL = """
SELECT id FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS t(id, n)
WHERE pg_try_advisory_lock(%(space)s, (id %% 2147483647)::int)
ORDER BY n
"""
_UNLOCK_SQL = """
SELECT pg_advisory_unlock(%(space)s, (id %% 2147483647)::int) FROM unnest(%(ids)s::bigint[]) id
"""


def _claim(ids: list[int], states: list[ProcessingState], limit: int | None = None) -> list[int]:
    """Of `ids`, at most `limit`, in order: those no other run holds (now locked by this one)
    and in one of `states` (now PROCESSING). The others are left unlocked."""
    if not ids or limit == 0:
        return []
    locked = lock_unheld(ids)
    wanted = Article.objects.filter(pk__in=locked, processing_state__in=states)
    found = set(wanted.values_list("pk", flat=True))
    claimed = [pk for pk in locked if pk in found][:limit]
    # Guarded: an article processed meanwhile (its run ended before our lock) stays processed.
    Article.objects.filter(pk__in=claimed, processing_state__in=states).update(
        processing_state=ProcessingState.PROCESSING, processing_error=""
    )
    release([pk for pk in locked if pk not in claimed])
    return claimed


def lock_unheld(ids: list[int]) -> list[int]:
    """Of `ids`, those no processing run holds, now held by this session (until `release`)."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, {"ids": ids, "space": _LOCK_SPACE})
        return [row[0] for row in cursor.fetchall()]


def release(ids: list[int]) -> None:
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(_UNLOCK_SQL, {"ids": ids, "space": _LOCK_SPACE})


def _requeue(ids: list[int]) -> None:
    """Put articles this run took back in the queue, each with its own task (best effort: if
    the database is gone too, a later run takes them up, as left by a run that died)."""
    try:
        with transaction.atomic():
            back = list(
                Article.objects.filter(
                    pk__in=ids, processing_state=ProcessingState.PROCESSING
                ).values_list("pk", flat=True)
            )
            Article.objects.filter(pk__in=back).update(processing_state=ProcessingState.PENDING)
            for pk in back:
                enqueue(TASK_PROCESS_ARTICLE, pk)
    except DatabaseError:
        logger.exception("Could not put articles %s back in the processing queue.", ids)


def _process(article_id: int, taken: list[int]) -> dict[int, Article]:
    """The articles of `taken` processed, by id (one that failed or was deleted is left out)."""
    articles = Article.objects.in_bulk(taken)
    cut: dict[int, tuple[list[Span], list[list[tuple[int, int]]]]] = {}
    for pk in [pk for pk in taken if pk in articles]:
        try:
            spans = split_passages(articles[pk].text, articles[pk].language)
            cut[pk] = (spans, [clause_windows(span.text) for span in spans])
        except Exception as exc:
            _failed_other(pk, article_id, exc)
    texts = [span.text for spans, _ in cut.values() for span in spans]
    windows = [w for _, article_windows in cut.values() for w in article_windows]
    vectors, clauses = embed_with_windows(texts, windows)
    done: dict[int, Article] = {}
    offset = 0
    for pk, (spans, article_windows) in cut.items():
        part = slice(offset, offset + len(spans))
        offset += len(spans)
        try:
            _store(articles[pk], spans, vectors[part], article_windows, clauses[part])
            done[pk] = articles[pk]
        except Exception as exc:
            _failed_other(pk, article_id, exc)
    return done


def _failed_other(pk: int, article_id: int, exc: Exception) -> None:
    """This run's own article raises (its task marks it failed or retries); another article
    of the batch is marked failed here, unless the error is transient (then all stop)."""
    if pk == article_id or isinstance(exc, TRANSIENT_ERRORS):
        raise exc
    logger.exception("Processing article %s (with article %s) failed.", pk, article_id)
    article_mark_failed(article_id=pk, error=f"{type(exc).__name__}: {exc}")


def _store(
    article: Article,
    spans: list[Span],
    vectors: np.ndarray,
    windows: list[list[tuple[int, int]]],
    clauses: list[np.ndarray],
) -> None:
    with transaction.atomic():
        _store_passages(article, spans, vectors, windows, clauses)
        article.processing_state, article.processed_at = ProcessingState.PROCESSED, timezone.now()
        article.matched_at = None  # new passages: waiting for the matcher
        Article.objects.filter(pk=article.pk).update(
            processing_state=article.processing_state,
            processed_at=article.processed_at,
            matched_at=None,
        )
        article_processed.send(sender=Article, article_id=article.pk)
        vector_index.rebuild_check()


def _store_passages(
    article: Article,
    spans: list[Span],
    vectors: np.ndarray,
    windows: list[list[tuple[int, int]]],
    clauses: list[np.ndarray],
) -> None:
    existing = {(p.start, p.end, p.text): p for p in Passage.objects.filter(article=article)}
    wanted = {(s.start, s.end, s.text) for s in spans}
    stale = [p.pk for key, p in existing.items() if key not in wanted]
    if stale:
        Passage.objects.filter(pk__in=stale).delete()
    keep: list[Passage] = []
    create: list[tuple[object, ...]] = []
    embedding = Passage._meta.get_field("embedding")
    for ordinal, span in enumerate(spans):
        bounds = [offset for window in windows[ordinal] for offset in window]
        units = pack_vectors(np.vstack([vectors[ordinal][None, :], clauses[ordinal]]))
        passage = existing.get((span.start, span.end, span.text))
        if passage is None:
            vector = embedding.get_prep_value(vectors[ordinal])
            create.append(
                (article.pk, ordinal, span.start, span.end, span.text, vector, bounds, units)
            )
            continue
        passage.ordinal = ordinal
        passage.embedding = vectors[ordinal]
        passage.clause_bounds = bounds
        passage.unit_vectors = units
        keep.append(passage)
    if keep:
        # Ordinals of kept passages may shift; park them out of the way of the unique constraint.
        Passage.objects.filter(pk__in=[p.pk for p in keep]).update(ordinal=F("ordinal") + 100_000)
        Passage.objects.bulk_update(keep, ["ordinal", "embedding", "clause_bounds", "unit_vectors"])
    # PostgreSQL computes the full-text vectors (a generated column) as the rows go in.
    if create:
        copy_rows(Passage._meta.db_table, _COPIED, create)


_COPIED = (
    "article_id",
    "ordinal",
    "start",
    "end",
    "text",
    "embedding",
    "clause_bounds",
    "unit_vectors",
)


def article_mark_failed(*, article_id: int, error: str) -> None:
    Article.objects.filter(pk=article_id).exclude(
        processing_state=ProcessingState.PROCESSED
    ).update(processing_state=ProcessingState.FAILED, processing_error=error[:5000])
