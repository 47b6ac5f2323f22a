"""Queue again the work that a dead worker left behind.

A task message can outlive its worker without being delivered again: kombu's filesystem
transport drops a message once a worker takes it, and Redis hands it on only after the
visibility timeout (an hour). An article is then left "processing" (or waiting, or waiting for
matching) with nothing in the queue. The sweep runs when a worker starts and on a schedule
(Celery beat); every task it queues is idempotent, so queueing one a live run also has does no
harm beyond a run that finds nothing to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from annotations.models import Article, ProcessingState
from annotations.services import holds
from annotations.services.articles import TASK_PROCESS_ARTICLE
from annotations.signals import article_processed, sweeping
from common.outbox import enqueue

logger = logging.getLogger(__name__)

TASK_SWEEP_STRANDED = "annotations.sweep_stranded"


@dataclass(frozen=True)
class Swept:
    processing: list[int]  # articles left processing by a dead run, put back in the queue
    waiting: list[int]  # the oldest waiting article of each project, its task queued again
    matching: list[int]  # the oldest article waiting for matching of each project, likewise

    def __bool__(self) -> bool:
        return bool(self.processing or self.waiting or self.matching)


def sweep_stranded() -> Swept:
    """Re-queue articles whose run died, and wake each project's waiting work.

    1. An article PROCESSING that no live run holds (holds: PostgreSQL ends a dead worker's
       session) goes back to PENDING with a new processing task.
    2. Per project with PENDING articles, one processing task for the oldest: a processing
       run also takes its project's other waiting articles.
    3. Per project with processed articles waiting for matching that no live run holds, one
       matching task for the oldest, which takes the rest.
    4. The `sweeping` signal: the layers above do the same for their own waiting work
       (claims waiting for matching).
    """
    processing = _requeue_dead_runs()
    with transaction.atomic():
        waiting = _oldest_per_project(
            Article.objects.filter(processing_state=ProcessingState.PENDING), "created_at"
        )
        for pk in waiting:
            enqueue(TASK_PROCESS_ARTICLE, pk)
        unmatched = Article.objects.filter(
            processing_state=ProcessingState.PROCESSED, matched_at=None
        )
        matching = _oldest_per_project(holds.not_held(unmatched), "processed_at")
        for pk in matching:
            article_processed.send(sender=Article, article_id=pk)
        sweeping.send(sender=Article)
    swept = Swept(processing, waiting, matching)
    if swept:
        logger.info(
            "Swept stranded work: %d article(s) left processing re-queued, processing woken "
            "in %d project(s), matching in %d.",
            len(processing),
            len(waiting),
            len(matching),
        )
    return swept


def _requeue_dead_runs() -> list[int]:
    with transaction.atomic():
        stuck = holds.not_held(
            Article.objects.filter(processing_state=ProcessingState.PROCESSING)
        ).select_for_update(skip_locked=True)
        dead = sorted(stuck.values_list("pk", flat=True))
        Article.objects.filter(pk__in=dead).update(
            processing_state=ProcessingState.PENDING, held_by=""
        )
        for pk in dead:
            enqueue(TASK_PROCESS_ARTICLE, pk)
    return dead


def _oldest_per_project(articles: QuerySet[Article], field: str) -> list[int]:
    """The pk of the oldest of `articles` (by `field`, then pk) in each project."""
    firsts = (
        articles.order_by("project_id", field, "pk")
        .distinct("project_id")
        .values_list("pk", flat=True)
    )
    return sorted(firsts)
