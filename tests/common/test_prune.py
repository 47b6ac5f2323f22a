"""manage.py prune and its scheduled task: old sent outbox rows and superseded old history rows
go; unsent rows, recent rows and the latest history row of each object stay."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from claims.models import Alias
from common import housekeeping
from common.models import OutboxMessage, WorkerHeartbeat
from common.tasks import prune_old_rows
from tests.factories import AliasFactory

pytestmark = pytest.mark.django_db

HistoricalAlias = Alias.history.model


def _outbox(*, created_days_ago: float, sent_days_ago: float | None) -> OutboxMessage:
    now = timezone.now()
    message = OutboxMessage.objects.create(task_name="claims.match_claim", args=[1])
    sent_at = None if sent_days_ago is None else now - timedelta(days=sent_days_ago)
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=now - timedelta(days=created_days_ago), sent_at=sent_at
    )
    return message


def _age_history(alias_id: int, *days_ago: float) -> list[int]:
    """Date an alias's history rows, oldest first, `days_ago` each; return their ids."""
    rows = HistoricalAlias.objects.filter(id=alias_id).order_by("history_id")
    ids = list(rows.values_list("history_id", flat=True))
    assert len(ids) == len(days_ago)
    now = timezone.now()  # once: equal ages make equal dates
    for history_id, days in zip(ids, days_ago, strict=True):
        HistoricalAlias.objects.filter(history_id=history_id).update(
            history_date=now - timedelta(days=days)
        )
    return ids


def _prune(*args: str) -> str:
    out = StringIO()
    call_command("prune", *args, stdout=out)
    return out.getvalue()


def _edited(alias: Alias, *notes: str) -> Alias:
    for note in notes:
        alias.note = note
        alias.save()
    return alias


def test_prune_deletes_old_sent_outbox_rows_and_keeps_unsent_and_recent_ones() -> None:
    old_sent = _outbox(created_days_ago=30, sent_days_ago=29)
    old_unsent = _outbox(created_days_ago=30, sent_days_ago=None)
    recent_sent = _outbox(created_days_ago=2, sent_days_ago=1)
    sent_late = _outbox(created_days_ago=30, sent_days_ago=1)  # sent after a long outage

    output = _prune("--outbox-days", "7", "--history-days", "0")

    kept = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert kept == {old_unsent.pk, recent_sent.pk, sent_late.pk}
    assert old_sent.pk not in kept
    assert "Deleted 1 sent outbox row(s)." in output


def test_prune_deletes_in_batches_until_nothing_old_is_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(housekeeping, "PRUNE_BATCH", 2)
    for _ in range(5):
        _outbox(created_days_ago=30, sent_days_ago=20)
        _outbox(created_days_ago=30, sent_days_ago=None)

    _prune("--outbox-days", "7", "--history-days", "0")

    assert OutboxMessage.objects.filter(sent_at__isnull=False).count() == 0
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 5


def test_prune_keeps_the_latest_history_row_of_each_object_and_recent_rows() -> None:
    # all three versions old: the two superseded go, the latest stays
    quiet = _edited(AliasFactory(), "first edit", "second edit")
    quiet_ids = _age_history(quiet.pk, 500, 450, 400)
    # an old version followed by a recent one: the old goes
    busy = _edited(AliasFactory(), "edited lately")
    busy_ids = _age_history(busy.pk, 500, 1)
    # deleted long ago: the deletion row (who deleted it) stays
    gone = AliasFactory()
    gone_id = gone.pk
    gone.delete()
    gone_ids = _age_history(gone_id, 500, 450)
    # recent history only: nothing goes
    fresh = _edited(AliasFactory(), "edited today")
    fresh_ids = _age_history(fresh.pk, 3, 1)
    # two versions at the same instant: the later id is the latest
    tied = _edited(AliasFactory(), "same instant")
    tied_ids = _age_history(tied.pk, 400, 400)

    output = _prune("--history-days", "365", "--outbox-days", "0")

    kept = set(HistoricalAlias.objects.values_list("history_id", flat=True))
    assert kept == {quiet_ids[-1], busy_ids[-1], gone_ids[-1], *fresh_ids, tied_ids[-1]}
    assert HistoricalAlias.objects.get(history_id=gone_ids[-1]).history_type == "-"
    assert "Deleted 5 history row(s)." in output
    assert f"{HistoricalAlias._meta.label}: 5" in output


def test_dry_run_prints_what_would_go_and_deletes_nothing() -> None:
    _outbox(created_days_ago=30, sent_days_ago=29)
    _outbox(created_days_ago=30, sent_days_ago=None)
    alias = _edited(AliasFactory(), "old edit")
    _age_history(alias.pk, 500, 400)
    WorkerHeartbeat.objects.create(worker="retired@host", seen_at=timezone.now())
    WorkerHeartbeat.objects.filter(worker="retired@host").update(
        seen_at=timezone.now() - timedelta(days=60)
    )

    output = _prune("--outbox-days", "7", "--history-days", "365", "--dry-run")

    assert "Would delete 1 sent outbox row(s)." in output
    assert "Would delete 1 history row(s)." in output
    assert "Would delete 1 heartbeat(s)" in output
    assert OutboxMessage.objects.count() == 2
    assert HistoricalAlias.objects.count() == 2
    assert WorkerHeartbeat.objects.filter(worker="retired@host").count() == 1


def test_prune_removes_heartbeats_of_workers_long_gone_only() -> None:
    WorkerHeartbeat.objects.create(worker="retired@host", seen_at=timezone.now())
    WorkerHeartbeat.objects.filter(worker="retired@host").update(
        seen_at=timezone.now() - timedelta(days=60)
    )
    WorkerHeartbeat.objects.create(worker="live@host", seen_at=timezone.now())

    _prune("--outbox-days", "7", "--history-days", "0")

    # A worker of the test session may have beaten into the same database: only ours count.
    ours = WorkerHeartbeat.objects.filter(worker__in=["retired@host", "live@host"])
    assert list(ours.values_list("worker", flat=True)) == ["live@host"]


def test_zero_days_keeps_everything() -> None:
    _outbox(created_days_ago=900, sent_days_ago=900)
    _age_history(_edited(AliasFactory(), "old edit").pk, 900, 900)

    assert "Deleted 0 sent outbox row(s)." in _prune("--outbox-days", "0", "--history-days", "0")
    assert OutboxMessage.objects.count() == 1
    assert HistoricalAlias.objects.count() == 2


def test_negative_days_are_refused() -> None:
    with pytest.raises(CommandError, match="0 \\(keep all\\) or more"):
        _prune("--outbox-days", "-1")


@override_settings(CLAIMTRACK_PRUNE_OUTBOX_DAYS=7, CLAIMTRACK_PRUNE_HISTORY_DAYS=365)
def test_the_scheduled_task_prunes_with_the_settings() -> None:
    _outbox(created_days_ago=30, sent_days_ago=29)
    unsent = _outbox(created_days_ago=30, sent_days_ago=None)
    ids = _age_history(_edited(AliasFactory(), "old edit").pk, 500, 400)

    prune_old_rows()

    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {unsent.pk}
    assert list(HistoricalAlias.objects.values_list("history_id", flat=True)) == [ids[-1]]


def test_the_beat_schedule_runs_the_prune_task_daily() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["prune-old-rows"]
    assert entry["task"] == prune_old_rows.name == housekeeping.TASK_PRUNE
    assert entry["schedule"].remaining_estimate(timezone.now()) <= timedelta(days=1)
