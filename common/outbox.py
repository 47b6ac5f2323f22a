"""Durable task enqueueing: write an outbox row now, publish it after commit, relay leftovers.

Every service that starts background work calls `enqueue()` inside its transaction. Publishing
happens in `transaction.on_commit`, so a worker never sees a row before it is committed; a
publish that fails (broker down) leaves the row for `relay_unsent()`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.models import OutboxMessage

logger = logging.getLogger(__name__)

# Rows sent per relay pass; each costs one broker publish and one UPDATE.
RELAY_BATCH = 200


def enqueue(task_name: str, *args: int | str) -> OutboxMessage:
    """Record `task_name(*args)` and publish it once the current transaction commits."""
    message = OutboxMessage.objects.create(task_name=task_name, args=list(args))
    # robust: the change is committed and the row is durable, so a failure to publish or to mark
    # the row (broker or database gone at that instant) is logged, not shown to the editor as
    # an error for a save that succeeded; the relay sends the row later.
    transaction.on_commit(lambda: _send(message), robust=True)
    return message


def enqueue_many(task_name: str, args_list: Sequence[Sequence[int | str]]) -> list[OutboxMessage]:
    """Record `task_name(*args)` for each entry in one INSERT and publish them all after commit
    over one broker connection (a bulk load queues one task per article)."""
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task_name=task_name, args=list(args)) for args in args_list]
    )
    if messages:
        transaction.on_commit(lambda: _send_many(messages), robust=True)
    return messages


def _send_many(messages: Sequence[OutboxMessage]) -> None:
    """Send rows through one producer and mark the sent ones in one UPDATE; at a broker
    failure the rest stay unsent for the relay, as `_send` leaves a row it could not send."""
    sent: list[int] = []
    try:
        with current_app.producer_or_acquire() as producer:
            for message in messages:
                current_app.send_task(message.task_name, args=message.args, producer=producer)
                sent.append(message.pk)
    except Exception as exc:  # kombu raises many types for an unreachable broker
        unsent = [m.pk for m in messages[len(sent) :]]
        OutboxMessage.objects.filter(pk__in=unsent).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.warning("Broker unavailable, %d tasks kept in outbox: %s", len(unsent), exc)
    if sent:
        OutboxMessage.objects.filter(pk__in=sent).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1
        )


def _publish(message_id: int) -> bool:
    """Send one outbox row to the broker unless already sent; mark it sent. Returns False if
    the broker refused."""
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return True  # already sent (by the commit hook or another relay)
    return _send(message)


def _send(message: OutboxMessage) -> bool:
    """Send a row to the broker and mark it sent. The commit hook calls this with the row it
    just wrote, without reading it back (one query less on every save): a relay pass that
    sent the row in between only makes a second delivery, which idempotent tasks absorb."""
    try:
        current_app.send_task(message.task_name, args=message.args)
    except Exception as exc:  # kombu raises many types for an unreachable broker
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.warning(
            "Broker unavailable, %s(%s) kept in outbox: %s", message.task_name, message.args, exc
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    return True


def relay_unsent(*, limit: int = RELAY_BATCH) -> int:
    """Publish unsent rows, oldest first; stop at the first broker failure. Returns the count sent.

    Tasks are idempotent, so a row published twice (relay and on_commit racing) does no harm.
    """
    sent = 0
    ids: Sequence[int] = list(
        OutboxMessage.objects.filter(sent_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in ids:
        if not _publish(message_id):
            break
        sent += 1
    return sent
