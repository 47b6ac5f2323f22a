"""Celery entry points for matching: they take ids, re-fetch, and call the engine.

Each task is idempotent (the engine upserts on the candidates' unique constraints and never
touches decided rows), so acks_late is safe: a task redelivered after a worker died simply runs
again. Only transient database and connection errors are retried, with exponential backoff and
jitter; a claim, article or project that no longer exists is logged by the engine and skipped.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from claims import matching
from claims.matching.engine import TASK_REMATCH_PROJECT
from claims.receivers import TASK_MATCH_ARTICLE
from claims.services.claims import TASK_MATCH_CLAIM
from claims.services.housekeeping import term_counts_forget_deleted_projects
from common.tasks import TRANSIENT_ERRORS

# Shared options. Matching a claim against a large project takes seconds, an article against
# thousands of tracked claims tens of seconds; the limits leave room for a cold model load.
_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 8,
    "soft_time_limit": 240,
    "time_limit": 300,
}


@shared_task(name=TASK_MATCH_CLAIM, **_OPTIONS)
def match_claim(claim_id: int) -> int:
    """Matches the claim with others of its project waiting (claims.matching.waiting)."""
    return matching.match_waiting_claims(claim_id=claim_id)


@shared_task(name=TASK_MATCH_ARTICLE, **_OPTIONS)
def match_article(article_id: int) -> int:
    return matching.match_article(article_id=article_id)


@shared_task(name=TASK_REMATCH_PROJECT, **_OPTIONS)
def rematch_project(project_id: int) -> int:
    return matching.rematch_project(project_id=project_id)


@shared_task(
    name="claims.forget_deleted_projects_counts", autoretry_for=TRANSIENT_ERRORS, max_retries=3
)
def forget_deleted_projects_counts() -> int:
    return term_counts_forget_deleted_projects()
