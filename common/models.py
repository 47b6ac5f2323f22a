"""Base model fields every table shares."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A task to enqueue, written in the same transaction as the change that needs it.

    If the broker is down when the transaction commits, the row stays unsent and the relay
    (`manage.py relay_outbox`, and every worker at start) sends it once the broker is back, so a
    save never fails and no matching run is lost, even across a restart.
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # the relay: unsent messages, oldest first
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent",
            ),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "unsent"
        return f"{self.task_name}{tuple(self.args)} ({state})"


class WorkerHeartbeat(models.Model):
    """When each Celery worker last said it was alive: every web process reads it for /health/.

    Written from Celery's own worker heartbeat (config.celery), a few times per
    CLAIMTRACK_HEARTBEAT_MAX_AGE_S; one row per worker name, updated in place.
    """

    worker = models.CharField(max_length=200)
    # The database's clock, not the worker's: /health/ compares it with the database's now, so
    # clocks that differ between hosts never make a live worker look dead.
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            # the upsert each heartbeat does
            models.UniqueConstraint(fields=["worker"], name="common_workerheartbeat_unique_worker"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} (seen {self.seen_at:%Y-%m-%d %H:%M:%S})"
