"""Segment an article into passages, embed them and index them for full-text search."""

from __future__ import annotations

import logging

import numpy as np
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import Article, Passage, ProcessingState
from annotations.services.embeddings import embed
from annotations.services.segmentation import Span, split_passages
from common.outbox import enqueue

logger = logging.getLogger(__name__)

TASK_MATCH_ARTICLE = "claims.match_article"
# Full-text configuration of the passage and claim search vectors.
TEXT_SEARCH_CONFIG = "english"


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
    2. Split into sentences and embed them all in one batch (outside any transaction).
    3. In one transaction: keep passages whose span and text are unchanged (their review
       decisions stay attached), replace the rest, refresh full-text vectors, mark PROCESSED,
       and queue matching of the article against the project's claims.
    """
    if not _claim(article_id):
        if not Article.objects.filter(pk=article_id).exists():
            logger.info("Article %s no longer exists; nothing to process.", article_id)
        return None
    article = Article.objects.get(pk=article_id)
    spans = split_passages(article.text)
    vectors = embed([span.text for span in spans])
    with transaction.atomic():
        _store_passages(article, spans, vectors)
        Article.objects.filter(pk=article_id).update(
            processing_state=ProcessingState.PROCESSED, processed_at=timezone.now()
        )
        enqueue(TASK_MATCH_ARTICLE, article_id)
    article.refresh_from_db()
    return article


def _store_passages(article: Article, spans: list[Span], vectors: np.ndarray) -> None:
    existing = {(p.start, p.end, p.text): p for p in Passage.objects.filter(article=article)}
    wanted = {(s.start, s.end, s.text) for s in spans}
    Passage.objects.filter(article=article).exclude(
        pk__in=[p.pk for key, p in existing.items() if key in wanted]
    ).delete()
    keep: list[Passage] = []
    create: list[Passage] = []
    for ordinal, (span, vector) in enumerate(zip(spans, vectors, strict=True)):
        passage = existing.get((span.start, span.end, span.text))
        if passage is None:
            passage = Passage(article=article, start=span.start, end=span.end, text=span.text)
            create.append(passage)
        else:
            keep.append(passage)
        passage.ordinal = ordinal
        passage.embedding = vector
    # Ordinals of kept passages may shift; park them out of the way of the unique constraint.
    Passage.objects.filter(pk__in=[p.pk for p in keep]).update(ordinal=F("ordinal") + 100_000)
    Passage.objects.bulk_update(keep, ["ordinal", "embedding"])
    Passage.objects.bulk_create(create)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE annotations_passage SET search_vector = to_tsvector(%s::regconfig, text) "
            "WHERE article_id = %s",
            [TEXT_SEARCH_CONFIG, article.pk],
        )


def article_mark_failed(*, article_id: int, error: str) -> None:
    Article.objects.filter(pk=article_id).exclude(
        processing_state=ProcessingState.PROCESSED
    ).update(processing_state=ProcessingState.FAILED, processing_error=error[:5000])
