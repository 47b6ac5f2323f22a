"""Housekeeping: delete the rows that only grow and that nothing reads once they are old.

- Outbox rows sent more than CLAIMTRACK_PRUNE_OUTBOX_DAYS ago. An unsent row is a task still to
  be published (common.outbox): it is never deleted, however old.
- History rows (django-simple-history) older than CLAIMTRACK_PRUNE_HISTORY_DAYS, except the
  latest row of each object. simple-history's own `clean_old_history` deletes every old row,
  which would leave an object unchanged for that long with no history at all: its page would
  no longer say who created or last changed it, nor who deleted it. Keeping the latest row (one
  per object, deleted objects included) keeps that answer; what goes is the older versions.
- Heartbeats of workers not seen for CLAIMTRACK_PRUNE_OUTBOX_DAYS (renamed or retired ones).

0 days keeps those rows. Rows go in batches, each its own short statement, so a first prune of
a long backlog holds no lock for long and a run that is stopped leaves the rest to the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from simple_history import models as history_models
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_app_model_primary_key_name, get_history_model_for_model

from common.models import OutboxMessage, WorkerHeartbeat

TASK_PRUNE = "common.prune_old_rows"

# Rows per DELETE: a few MB of WAL and well under a second of row locks each.
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class Pruned:
    dry_run: bool
    outbox: int = 0
    heartbeats: int = 0
    history: dict[str, int] = field(default_factory=dict)  # "app.HistoricalModel" -> rows

    @property
    def history_total(self) -> int:
        return sum(self.history.values())


def prune(*, outbox_days: int, history_days: int, dry_run: bool = False) -> Pruned:
    """Delete (or, with `dry_run`, count) what is past its keeping time; return the counts."""
    now = timezone.now()
    outbox = heartbeats = 0
    history: dict[str, int] = {}
    if outbox_days > 0:
        cutoff = now - timedelta(days=outbox_days)
        outbox = _remove(
            OutboxMessage.objects.filter(sent_at__isnull=False, sent_at__lt=cutoff), dry_run=dry_run
        )
        heartbeats = _remove(WorkerHeartbeat.objects.filter(seen_at__lt=cutoff), dry_run=dry_run)
    if history_days > 0:
        cutoff = now - timedelta(days=history_days)
        for label, rows in _superseded_history(cutoff):
            history[label] = _remove(rows, dry_run=dry_run)
    return Pruned(dry_run=dry_run, outbox=outbox, heartbeats=heartbeats, history=history)


def _superseded_history(cutoff: datetime) -> list[tuple[str, QuerySet[Model]]]:
    """Per historical model of the project: its rows older than `cutoff` that a later row of
    the same object follows (later as simple-history orders them: date, then id)."""
    found = []
    for model in history_models.registered_models.values():
        try:
            history_model = get_history_model_for_model(model)
        except NotHistoricalModelError:  # a through model of tracked many-to-many fields
            continue
        object_id = get_app_model_primary_key_name(model)
        later = history_model._default_manager.filter(
            Q(history_date__gt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), pk__gt=OuterRef("pk")),
            **{object_id: OuterRef(object_id)},
        )
        rows = history_model._default_manager.filter(history_date__lt=cutoff).filter(Exists(later))
        found.append((history_model._meta.label, rows))
    return sorted(found, key=lambda pair: pair[0])


def _remove(rows: QuerySet[Model], *, dry_run: bool) -> int:
    """Count `rows`, or delete them PRUNE_BATCH at a time in primary-key order (each batch
    starts after the last: the scan never reads the same rows twice)."""
    if dry_run:
        return rows.count()
    deleted, after = 0, None
    while True:
        page = rows.order_by("pk") if after is None else rows.filter(pk__gt=after).order_by("pk")
        ids = list(page.values_list("pk", flat=True)[:PRUNE_BATCH])
        if not ids:
            return deleted
        # the filter again: nothing that stopped matching since it was read is deleted
        deleted += rows.filter(pk__in=ids).delete()[0]
        after = ids[-1]
