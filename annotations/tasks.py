"""Celery entry points for articles: they take ids, re-fetch, and call a service."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from annotations.services.articles import TASK_PROCESS_ARTICLE
from annotations.services.processing import article_mark_failed, article_process
from annotations.services.recovery import TASK_SWEEP_STRANDED, sweep_stranded
from annotations.services.vector_index import TASK_REBUILD_INDEX, rebuild
from common.tasks import TRANSIENT_ERRORS

# Only what is transient is retried; a bad article fails once and shows its error.


@shared_task(
    name=TASK_PROCESS_ARTICLE,
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=240,
    time_limit=300,
)
def process_article(article_id: int) -> None:
    try:
        article_process(article_id=article_id)
    except TRANSIENT_ERRORS:
        raise
    except SoftTimeLimitExceeded:
        article_mark_failed(
            article_id=article_id, error="Processing took too long and was stopped."
        )
        raise
    except Exception as exc:
        article_mark_failed(article_id=article_id, error=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name=TASK_REBUILD_INDEX, acks_late=True, soft_time_limit=3 * 3600, time_limit=4 * 3600)
def rebuild_passage_index() -> None:
    """Idempotent: rebuilds only when due, and only one process at a time."""
    rebuild()


@shared_task(name=TASK_SWEEP_STRANDED, ignore_result=True)
def sweep_stranded_work() -> None:
    """Idempotent: queues again only what no live run holds."""
    sweep_stranded()
