"""The health of each part Claimtrack needs, for a load balancer or a monitor polling /health/.

Every check is one small query or one broker connection with a short timeout: nothing loads a
model or reads a large table, so the page can be polled every few seconds. The report names
parts and counts only, never an address or a credential, because it is served without login.

A part is down when it does not answer (database, broker) or when no worker has written its
heartbeat within CLAIMTRACK_HEARTBEAT_MAX_AGE_S. The outbox and the articles waiting are
reported as counts: a backlog is load, not an outage, and stays visible there to alert on.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, Max, Min, Q
from django.db.models.functions import Now

from annotations.models import Article, ProcessingState
from common.models import OutboxMessage, WorkerHeartbeat

logger = logging.getLogger(__name__)

# A broker that refuses connections fails at once; one that hangs is given this long.
BROKER_TIMEOUT_S = 1.0
# Each query of a check stops after this long (a table locked by a migration, say), so the
# page answers while the load balancer still waits for it.
QUERY_TIMEOUT_MS = 1000
# A worker writes its heartbeat this many times per CLAIMTRACK_HEARTBEAT_MAX_AGE_S, so one
# slow or failed write never reads as a dead worker.
HEARTBEATS_PER_MAX_AGE = 4

Details = dict[str, Any]


@dataclass(frozen=True)
class HealthReport:
    checks: dict[str, Details]  # part name -> {"up": bool, ...}

    @property
    def down(self) -> list[str]:
        return [name for name, check in self.checks.items() if not check["up"]]

    @property
    def up(self) -> bool:
        return not self.down

    def as_dict(self) -> dict[str, object]:
        return {"status": "up" if self.up else "down", "down": self.down, "checks": self.checks}


def health_check() -> HealthReport:
    """1. The database answers a trivial query; if it does not, the parts read from it are
       reported down without trying (each try could wait for the connect timeout).
    2. The broker accepts a connection within BROKER_TIMEOUT_S.
    3. A worker heartbeat is recent; the unsent outbox rows and the articles waiting are counted.
    """
    checks: dict[str, Details] = {"database": _guarded("database", _database)}
    checks["broker"] = _guarded("broker", _broker)
    readers: dict[str, Callable[[], Details]] = {
        "worker": _worker,
        "outbox": _outbox,
        "articles": _articles,
    }
    for name, read in readers.items():
        if checks["database"]["up"]:
            checks[name] = _guarded(name, read)
        else:
            checks[name] = {"up": False, "error": "database unavailable"}
    return HealthReport(checks)


def _guarded(name: str, check: Callable[[], Details]) -> Details:
    """Run one check; any failure makes the part down, named by the error's type only (its
    message may hold a host name), with the message in the log."""
    started = time.monotonic()
    try:
        details = check()
    except Exception as exc:  # whatever a driver raises, the part is down
        logger.warning("Health check: %s is down: %s: %s", name, type(exc).__name__, exc)
        details = {"up": False, "error": type(exc).__name__}
    details["ms"] = round((time.monotonic() - started) * 1000, 1)
    return details


@contextmanager
def _bounded_queries() -> Iterator[None]:
    with transaction.atomic():
        with connection.cursor() as cursor:
            # is_local true: the limit ends with this transaction, not with the connection
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, true)", [str(QUERY_TIMEOUT_MS)]
            )
        yield


def _database() -> Details:
    with _bounded_queries(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"up": True}


def _broker() -> Details:
    """A fresh connection to the broker tasks are published to (the Celery app's, which may
    differ from the settings: CELERY_BROKER_URL in the environment wins)."""
    timeouts = {
        # redis
        "socket_timeout": BROKER_TIMEOUT_S,
        "socket_connect_timeout": BROKER_TIMEOUT_S,
        # py-amqp
        "read_timeout": BROKER_TIMEOUT_S,
        "write_timeout": BROKER_TIMEOUT_S,
    }
    with current_app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT_S, transport_options=timeouts
    ) as conn:
        conn.ensure_connection(max_retries=0)
        transport = conn.transport.driver_type
        if transport == "filesystem":
            # Connecting to the filesystem transport always succeeds; publishing needs the folder.
            folder = conn.transport_options.get("data_folder_out")
            if folder and not os.access(folder, os.W_OK):
                return {"up": False, "transport": transport, "error": "queue folder not writable"}
    return {"up": True, "transport": transport}


def _age_s(age: timedelta | None) -> float | None:
    return None if age is None else round(age.total_seconds(), 1)


def _worker() -> Details:
    max_age_s = float(settings.CLAIMTRACK_HEARTBEAT_MAX_AGE_S)
    fresh = Q(seen_at__gte=Now() - timedelta(seconds=max_age_s))
    with _bounded_queries():
        stats = WorkerHeartbeat.objects.aggregate(
            age=ExpressionWrapper(Now() - Max("seen_at"), output_field=DurationField()),
            workers=Count("pk", filter=fresh),
        )
    age_s = _age_s(stats["age"])
    return {
        "up": age_s is not None and age_s <= max_age_s,
        "last_heartbeat_age_s": age_s,
        "max_age_s": max_age_s,
        "workers": stats["workers"],
    }


def _outbox() -> Details:
    # the outbox_unsent partial index: only unsent rows are read
    with _bounded_queries():
        stats = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(
            unsent=Count("pk"),
            oldest=ExpressionWrapper(Now() - Min("created_at"), output_field=DurationField()),
        )
    return {"up": True, "unsent": stats["unsent"], "oldest_unsent_age_s": _age_s(stats["oldest"])}


def _articles() -> Details:
    waiting = [ProcessingState.PENDING, ProcessingState.PROCESSING]
    with _bounded_queries():
        counts = dict(
            Article.objects.filter(processing_state__in=waiting)
            .order_by()
            .values_list("processing_state")
            .annotate(n=Count("pk"))
        )
    return {"up": True, **{str(state): counts.get(state, 0) for state in waiting}}


def worker_heartbeat_record(*, worker: str) -> None:
    """Upsert `worker`'s heartbeat at the database's now (one statement)."""
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(worker=worker, seen_at=Now())],
        update_conflicts=True,
        unique_fields=["worker"],
        update_fields=["seen_at"],
    )


_last_written = float("-inf")  # monotonic time of this process's last heartbeat write


def worker_heartbeat_beat(*, worker: str) -> bool:
    """Called on each of Celery's worker heartbeats (every 2 s, config.celery): write one a few
    times per max age. Never raises: a database that is down is logged and tried next time.
    Returns whether a heartbeat was written."""
    global _last_written
    now = time.monotonic()
    if now - _last_written < settings.CLAIMTRACK_HEARTBEAT_MAX_AGE_S / HEARTBEATS_PER_MAX_AGE:
        return False
    _last_written = now  # a failed write waits its turn too, not every 2 s
    # As around a request: drop a connection the database closed, honour CONN_MAX_AGE.
    close_old_connections()
    try:
        worker_heartbeat_record(worker=worker)
    except DatabaseError as exc:
        logger.warning("Worker heartbeat not recorded: %s", exc)
        return False
    finally:
        close_old_connections()
    return True
