"""What every Celery task in the project retries: only transient failures (database restarting,
connection dropped, timeout). A missing row or a bad article is not retried. And the scheduled
housekeeping of the shared tables."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from common.housekeeping import TASK_PRUNE, prune

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

logger = logging.getLogger(__name__)


# A first prune of a long backlog may take a while; batches commit as they go, so a run the
# time limit stops leaves the rest to the next day's.
@shared_task(
    name=TASK_PRUNE, ignore_result=True, acks_late=True, soft_time_limit=1800, time_limit=1900
)
def prune_old_rows() -> None:
    """Idempotent: deletes only rows past their keeping time (common.housekeeping)."""
    result = prune(
        outbox_days=settings.CLAIMTRACK_PRUNE_OUTBOX_DAYS,
        history_days=settings.CLAIMTRACK_PRUNE_HISTORY_DAYS,
    )
    logger.info(
        "Pruned %d sent outbox row(s), %d history row(s), %d heartbeat(s).",
        result.outbox,
        result.history_total,
        result.heartbeats,
    )
