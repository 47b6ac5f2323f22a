"""A bulk load's tasks: written in one INSERT, published after commit over one producer, and
left for the relay (with the broker's error) when the broker refuses."""

from __future__ import annotations

import socket

import pytest

from annotations.services.articles import TASK_PROCESS_ARTICLE
from common.models import OutboxMessage
from common.outbox import enqueue_many
from tests.faults.support import publishing_to

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_rows_are_sent_after_commit_and_marked(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        messages = enqueue_many(TASK_PROCESS_ARTICLE, [[1], [2], [3]])
        assert not OutboxMessage.objects.filter(sent_at__isnull=False).exists()
    assert len(callbacks) == 1
    rows = OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).order_by("pk")
    assert [(r.args, r.attempts, r.sent_at is not None) for r in rows] == [
        ([1], 1, True),
        ([2], 1, True),
        ([3], 1, True),
    ]


@pytest.mark.faults  # kombu retries the refused connection before it gives up
def test_a_refusing_broker_leaves_every_row_for_the_relay(
    django_capture_on_commit_callbacks,
) -> None:
    broker = f"redis://127.0.0.1:{_closed_port()}/0"
    with (
        publishing_to(broker, queue="outbox-many-test"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        enqueue_many(TASK_PROCESS_ARTICLE, [[1], [2]])
    rows = list(OutboxMessage.objects.order_by("pk"))
    assert [(r.sent_at, r.attempts) for r in rows] == [(None, 1), (None, 1)]
    assert all("refused" in r.last_error.lower() for r in rows), rows[0].last_error
