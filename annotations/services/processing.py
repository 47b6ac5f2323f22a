"""Segment an article into passages, embed them and index them for full-text search."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import Article, Passage, ProcessingState
from annotations.services import holds, vector_index
from annotations.services.articles import TASK_PROCESS_ARTICLE
from annotations.services.embeddings import embed_with_windows, pack_vectors
from annotations.services.segmentation import Span, clause_windows, split_passages
from annotations.signals import article_processed
from common.copy import copy_rows
from common.outbox import enqueue
from common.tasks import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)


class NotHeld(Exception):
    """The run no longer holds the article it was processing (it was given up for dead)."""


# The most articles one processing run embeds together: its own and others of its project
# waiting. Under a bulk load the worker's queue holds a processing task per article; the
# passages of a few articles share the model's passes (fuller batches, less padding), and the
# tasks of the articles a run took find nothing left to do.
PROCESS_BATCH = 4
# A failed article is processed again by its own task (a retry), not taken by another run.
_STATES_OWN = [ProcessingState.PENDING, ProcessingState.PROCESSING, ProcessingState.FAILED]
_STATES_OTHER = [ProcessingState.PENDING, ProcessingState.PROCESSING]


@dataclass(frozen=True)
class ProcessingRun:
    article: Article | None  # the article asked for, if this run processed it
    processed: list[int]  # every article this run processed (each has its matching queued)


def article_process(*, article_id: int) -> Article | None:
    """Process the article (and others waiting: articles_process). Returns it, or None when it
    needed nothing here (processed already, gone, or held by another live run, which
    processes it)."""
    return articles_process(article_id=article_id).article


def articles_process(*, article_id: int) -> ProcessingRun:
    """Build the article's passages, and those of other articles of its project waiting to be
    processed, up to PROCESS_BATCH in all. Idempotent: a re-run gives the same passages.

    1. Take the articles (holds.take): this one unless it is processed, gone or held by a live
       run; then its project's waiting ones, oldest first. Each is moved to PROCESSING.
    2. Split each into sentences, cut their clause windows, and embed the sentences and
       clauses of all of them in one model pass (outside any transaction).
    3. Per article, in one transaction: keep passages whose span and text are unchanged (their
       review decisions stay attached), replace the rest (PostgreSQL computes their full-text
       vectors), mark PROCESSED and waiting for matching, and queue its matching; all only if
       this run still holds the article.

    Errors: one in this article is raised (the task marks it failed); one in another article
    marks that one failed; one in the shared model pass puts the other articles back in the
    queue, each to be processed by its own task.
    """
    project_id = Article.objects.filter(pk=article_id).values_list("project_id", flat=True).first()
    if project_id is None:
        logger.info("Article %s no longer exists; nothing to process.", article_id)
        return ProcessingRun(None, [])
    taking = {"processing_state": ProcessingState.PROCESSING, "processing_error": ""}
    own = holds.take(
        Article.objects.filter(pk=article_id, processing_state__in=_STATES_OWN),
        limit=1,
        update=taking,
    )
    waiting = Article.objects.filter(
        project_id=project_id, processing_state__in=_STATES_OTHER
    ).order_by("created_at", "pk")
    others = holds.take(waiting, limit=PROCESS_BATCH - len(own), update=taking)
    done = _run(article_id, own, others)
    return ProcessingRun(done.get(article_id), list(done))


def _run(article_id: int, own: list[int], others: list[int]) -> dict[int, Article]:
    """Process the articles taken; the ones processed, by id."""
    taken = own + others
    if not taken:
        return {}
    try:
        return _process(article_id, taken)
    except Exception:
        _requeue(others)
        if own:
            raise
        logger.exception("Processing articles %s failed; each is queued again.", others)
        return {}
    finally:
        holds.release(taken)


def _requeue(ids: list[int]) -> None:
    """Put articles this run took back in the queue, each with its own task (best effort: if
    the database is gone too, a later run takes them up, as left by a run that died)."""
    try:
        with transaction.atomic():
            back = list(
                holds.held_here(ids)
                .filter(processing_state=ProcessingState.PROCESSING)
                .values_list("pk", flat=True)
            )
            holds.release(back, processing_state=ProcessingState.PENDING)
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
        except NotHeld:
            logger.info("Article %s was taken up by another run; this run leaves it.", pk)
        except Exception as exc:
            _failed_other(pk, article_id, exc)
    return done


def _failed_other(pk: int, article_id: int, exc: Exception) -> None:
    """This run's own article raises (its task marks it failed or retries); another article
    of the batch is marked failed here, unless the error is transient (then all stop)."""
    if pk == article_id or isinstance(exc, TRANSIENT_ERRORS):
        raise exc
    logger.exception("Processing article %s (with article %s) failed.", pk, article_id)
    error = f"{type(exc).__name__}: {exc}"
    holds.release([pk], processing_state=ProcessingState.FAILED, processing_error=error[:5000])


def _store(
    article: Article,
    spans: list[Span],
    vectors: np.ndarray,
    windows: list[list[tuple[int, int]]],
    clauses: list[np.ndarray],
) -> None:
    with transaction.atomic():
        # Guarded: a run given up for dead (its session ended) writes nothing.
        if not holds.held_here([article.pk]).select_for_update(no_key=True).exists():
            raise NotHeld(f"Article {article.pk} is no longer held by this run.")
        _store_passages(article, spans, vectors, windows, clauses)
        article.processing_state, article.processed_at = ProcessingState.PROCESSED, timezone.now()
        article.matched_at = None  # new passages: waiting for the matcher
        holds.release(
            [article.pk],
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
    """Mark the article failed, unless it is processed or another live run holds it."""
    holds.not_held(Article.objects.filter(pk=article_id)).exclude(
        processing_state=ProcessingState.PROCESSED
    ).update(processing_state=ProcessingState.FAILED, processing_error=error[:5000], held_by="")
