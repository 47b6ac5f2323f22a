"""Celery entry points for matching: they take ids, re-fetch, and call the engine."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotations.services.processing import TASK_MATCH_ARTICLE
from claims import matching
from claims.services.claims import TASK_MATCH_CLAIM

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    name=TASK_MATCH_CLAIM,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=240,
    time_limit=300,
)
def match_claim(claim_id: int) -> int:
    return matching.match_claim(claim_id=claim_id)


@shared_task(
    name=TASK_MATCH_ARTICLE,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=240,
    time_limit=300,
)
def match_article(article_id: int) -> int:
    return matching.match_article(article_id=article_id)
