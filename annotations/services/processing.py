"""Segment an article into passages, embed them and index them for full-text search."""

from __future__ import annotations

import logging

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import Article, Passage, ProcessingState
from annotations.services import vector_index
from annotations.services.embeddings import embed_with_windows, pack_vectors
from annotations.services.segmentation import Span, clause_windows, split_passages
from common.copy import copy_rows
from common.outbox import enqueue

logger = logging.getLogger(__name__)

TASK_MATCH_ARTICLE = "claims.match_article"


def _claim(article_id: int) -> bool:
    """Move the article to PROCESSING unless it is already processed. False: nothing to do.

    A redelivered task (worker killed mid-run) finds PROCESSING and simply runs again.
    """
    changed = Article.objects.filter(
        pk=article_id,
        processing_state__in=[
            ProcessingState.PENDING,
            ProcessingState.PROCESSING,
            ProcessingState.FAILED,
        ],
    ).update(processing_state=ProcessingState.PROCESSING, processing_error="")
    return changed == 1


def article_process(*, article_id: int) -> Article | None:
    """Build the article's passages. Idempotent: a re-run gives the same passages.

    1. Guarded state change to PROCESSING (skip if processed, log if gone).
    2. Split into sentences, cut their clause windows, and embed sentences and clauses in one
       model pass (outside any transaction).
    3. In one transaction: keep passages whose span and text are unchanged (their review
       decisions stay attached), replace the rest (PostgreSQL computes their full-text
       vectors), mark PROCESSED and waiting for matching, and queue matching of the article
       against the project's claims.
    """
    if not _claim(article_id):
        if not Article.objects.filter(pk=article_id).exists():
            logger.info("Article %s no longer exists; nothing to process.", article_id)
        return None
    article = Article.objects.get(pk=article_id)
    spans = split_passages(article.text)
    windows = [clause_windows(span.text) for span in spans]
    vectors, clauses = embed_with_windows([span.text for span in spans], windows)
    with transaction.atomic():
        _store_passages(article, spans, vectors, windows, clauses)
        article.processing_state, article.processed_at = ProcessingState.PROCESSED, timezone.now()
        article.matched_at = None  # new passages: waiting for the matcher
        Article.objects.filter(pk=article_id).update(
            processing_state=article.processing_state,
            processed_at=article.processed_at,
            matched_at=None,
        )
        enqueue(TASK_MATCH_ARTICLE, article_id)
        vector_index.rebuild_check()
    return article


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
