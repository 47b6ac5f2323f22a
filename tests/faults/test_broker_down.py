"""The broker down (or hung) when an editor saves: the save succeeds at once, the task waits in
the outbox table, and a relay sends it when the broker is back, even from a freshly started
process; the worker then does the work once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from annotations.models import Article, Passage, ProcessingState, Project
from annotations.services import article_create
from annotations.services.articles import TASK_PROCESS_ARTICLE
from claims.models import Claim
from claims.receivers import TASK_MATCH_ARTICLE
from claims.services import claim_create
from claims.services.claims import TASK_MATCH_CLAIM
from common.models import OutboxMessage
from common.outbox import relay_unsent
from tests.conftest import BASE_DIR, wait_for, worker_env
from tests.faults.conftest import Broker
from tests.faults.support import Worker, publishing_to, stop_gently

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

# What "the save does not hang" means here: an editor waits at most this long.
SAVE_BUDGET_S = 10.0

BEFORE = "The council met on Monday. It approved the budget for the new bridge."
DURING = (
    "The bridge will take three years to build. Engineers found cracks in two piers.\n"
    "A ferry will carry pedestrians across the river in the meantime."
)


def _timed(save: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = save()
    return result, time.monotonic() - started


def _outbox(task_name: str, object_id: int) -> OutboxMessage:
    return OutboxMessage.objects.get(task_name=task_name, args=[object_id])


def _processed(article_id: int) -> bool:
    return Article.objects.filter(
        pk=article_id, processing_state=ProcessingState.PROCESSED
    ).exists()


def test_save_succeeds_while_the_broker_is_down_and_the_work_runs_once_it_is_back(
    redis_broker: Broker,
    start_worker: Callable[[str, Broker], Worker],
    project: Project,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    redis = redis_broker.redis
    assert redis is not None
    worker = start_worker("steady", redis_broker)
    with publishing_to(redis_broker.url, queue=redis_broker.queue):
        before = article_create(project=project, text=BEFORE, outlet="Gazette")
        wait_for(lambda: _processed(before.pk), timeout=90)

        redis.stop()
        article, article_s = _timed(lambda: article_create(project=project, text=DURING))
        claim, claim_s = _timed(
            lambda: claim_create(project=project, statement="The bridge takes three years.")
        )
    assert isinstance(article, Article) and isinstance(claim, Claim)

    # The editor's saves went through quickly; the tasks wait in the outbox.
    assert article_s < SAVE_BUDGET_S and claim_s < SAVE_BUDGET_S, (article_s, claim_s)
    assert Article.objects.get(pk=article.pk).processing_state == ProcessingState.PENDING
    for message in (_outbox(TASK_PROCESS_ARTICLE, article.pk), _outbox(TASK_MATCH_CLAIM, claim.pk)):
        assert message.sent_at is None
        assert message.attempts == 1
        assert "refused" in message.last_error.lower(), message.last_error

    # A relay started now, as after a restart of the web process, knows only the database.
    relay = _start_relay(redis_broker, tmp_path / "relay.log")
    try:
        wait_for(lambda: _outbox(TASK_PROCESS_ARTICLE, article.pk).attempts >= 2, timeout=30)
        assert _outbox(TASK_PROCESS_ARTICLE, article.pk).sent_at is None

        redis.start()  # the same port, empty: whatever it held before is gone
        back_at = time.monotonic()
        wait_for(
            lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), timeout=30
        )
        relayed_s = time.monotonic() - back_at
        # The worker reconnects by itself and does the work, once.
        wait_for(lambda: _processed(article.pk), timeout=90)
        wait_for(lambda: worker.task_ids(TASK_MATCH_CLAIM, "succeeded"), timeout=60)
        processed_s = time.monotonic() - back_at
    finally:
        stop_gently(relay)
    assert "Relayed" in (tmp_path / "relay.log").read_text()
    assert len(worker.task_ids(TASK_PROCESS_ARTICLE, "succeeded")) == 2  # before, during
    assert len(worker.task_ids(TASK_MATCH_CLAIM, "succeeded")) == 1
    spans = list(Passage.objects.filter(article=article).values_list("start", "end"))
    assert len(spans) == 3 and len(set(spans)) == 3
    record_property(
        "observed",
        f"broker stopped: article saved in {article_s:.2f} s, claim in {claim_s:.2f} s, both "
        f"tasks kept in the outbox; a fresh relay process sent them {relayed_s:.1f} s after the "
        f"broker came back; the same worker reconnected, article processed and claim matched "
        f"{processed_s:.1f} s after; each task ran once",
    )


def test_save_does_not_hang_when_the_broker_stops_answering(
    redis_broker: Broker,
    start_worker: Callable[[str, Broker], Worker],
    project: Project,
    record_property: Callable[[str, object], None],
) -> None:
    """A hung broker may still take a publish whose reply never came: the relay then sends a
    second copy. Nothing is lost, and the task, run twice, does its work once."""
    redis = redis_broker.redis
    assert redis is not None
    with publishing_to(redis_broker.url, queue=redis_broker.queue):
        before = article_create(project=project, text=BEFORE)  # a live, pooled connection
        redis.freeze()  # accepts connections, answers nothing
        try:
            article, article_s = _timed(lambda: article_create(project=project, text=DURING))
        finally:
            redis.thaw()
        assert isinstance(article, Article)
        assert article_s < SAVE_BUDGET_S, article_s
        message = _outbox(TASK_PROCESS_ARTICLE, article.pk)
        assert message.sent_at is None
        assert "timeout" in message.last_error.lower(), message.last_error
        assert relay_unsent() == 1

    queued = redis.queued_tasks(redis_broker.queue)
    copies = queued.count((TASK_PROCESS_ARTICLE, [article.pk]))
    assert queued.count((TASK_PROCESS_ARTICLE, [before.pk])) == 1
    assert copies >= 1  # nothing lost (a second copy is the publish that timed out)

    worker = start_worker("drain", redis_broker)
    wait_for(lambda: _processed(before.pk) and _processed(article.pk), timeout=90)
    # Each copy runs (the worker's start-up sweep may add one more, for the waiting articles).
    wait_for(lambda: len(worker.task_ids(TASK_PROCESS_ARTICLE, "succeeded")) >= 1 + copies)
    spans = list(Passage.objects.filter(article=article).values_list("start", "end"))
    assert len(spans) == 3 and len(set(spans)) == 3
    # Every copy after the first found the article processed and queued nothing more.
    assert (
        OutboxMessage.objects.filter(task_name=TASK_MATCH_ARTICLE, args=[article.pk]).count() == 1
    )
    record_property(
        "observed",
        f"broker frozen (SIGSTOP): article saved in {article_s:.2f} s, task kept in the outbox; "
        f"after thaw + relay the broker held {copies} cop{'y' if copies == 1 else 'ies'} of it; "
        f"the worker ran each, the article was processed once (0 duplicate passages, "
        f"1 follow-up task)",
    )


def _start_relay(broker: Broker, log_path: Path) -> subprocess.Popen[bytes]:
    """`manage.py relay_outbox --loop`, as production runs it, in a process of its own."""
    log = open(log_path, "wb")  # noqa: SIM115 - owned by the process
    return subprocess.Popen(
        [sys.executable, "manage.py", "relay_outbox", "--loop", "--interval", "1"],
        cwd=BASE_DIR,
        env=worker_env(CELERY_BROKER_URL=broker.url, CLAIMTRACK_TASK_QUEUE=broker.queue),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
