"""A Celery worker killed with SIGKILL in the middle of a task: another worker runs it again.

The settings make this work: `task_acks_late` (a message is acknowledged only after its task
finished), prefetch 1, and on Redis a visibility timeout after which a message that a dead
worker held goes back to the queue (RabbitMQ requeues at once when the connection drops). Tasks
are idempotent, so the second run gives the same result as one clean run.

To kill the worker at a known point, the test holds a SHARE lock on the table the task writes:
the task does its work up to its first write and waits there; the test sees the wait in
pg_stat_activity and kills the whole worker (main process and pool child) with SIGKILL.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import transaction

from annotations.models import Article, Passage, ProcessingState, Project
from annotations.services import article_create
from annotations.services.articles import TASK_PROCESS_ARTICLE
from annotations.services.recovery import sweep_stranded
from annotations.services.segmentation import split_passages
from claims.matching.waiting import sweep_waiting_claims
from claims.models import Claim, MatchCandidate
from claims.receivers import TASK_MATCH_ARTICLE
from claims.services import claim_create
from claims.services.claims import TASK_MATCH_CLAIM, claim_request_matching
from common.models import OutboxMessage
from tests.conftest import wait_for
from tests.faults.conftest import Broker
from tests.faults.support import (
    Worker,
    kill_hard,
    publishing_to,
    rows,
    table_locked,
    waiting_on_lock,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

StartWorker = Callable[..., Worker]
RecordProperty = Callable[[str, object], None]
# Redis gives a dead worker's message to another worker after this many seconds (production:
# an hour). A live run that takes longer is delivered a second time too, and does nothing.
REDELIVERY_S = 10

ARTICLE_TEXT = "\n".join(
    [
        "Bridge over the Vltava closed after cracks were found",
        "The city council closed the old bridge on Monday after engineers found cracks in two "
        "of its piers. Repairs will take three years, the mayor said. The council estimated "
        "the cost at 40 million euros. Critics said the bridge had not been inspected since "
        "2019. A ferry will carry pedestrians across the river in the meantime.",
        "Traffic was diverted to the ring road, where queues stretched for two kilometres. "
        "The transport office said buses would keep their routes but run late.",
    ]
)
SECOND_ARTICLE_TEXT = (
    "Engineers say the repair of the cracked bridge will last three years and cost about "
    "forty million euros. The mayor promised a ferry for pedestrians."
)
CLAIMS = (
    "Repairing the bridge will take three years.",
    "The repairs will cost 40 million euros.",
    "A ferry will carry pedestrians across the river.",
)


def _state(article_id: int) -> str:
    return Article.objects.values_list("processing_state", flat=True).get(pk=article_id)


def _processed(article_id: int) -> bool:
    state = _state(article_id)
    assert state != ProcessingState.FAILED, Article.objects.get(pk=article_id).processing_error
    return state == ProcessingState.PROCESSED


def test_article_processing_killed_mid_run_is_run_again_by_another_worker(
    broker: Broker, start_worker: StartWorker, project: Project, record_property: RecordProperty
) -> None:
    first = start_worker("first", broker, visibility_timeout=REDELIVERY_S)
    with table_locked("annotations_passage"):
        with publishing_to(broker.url, queue=broker.queue):
            article = article_create(project=project, text=ARTICLE_TEXT, outlet="Gazette")
        # The first worker has split and embedded the text and waits to write the passages.
        wait_for(lambda: waiting_on_lock(first.application_name), timeout=60)
        [task_id] = first.task_ids(TASK_PROCESS_ARTICLE, "received")
        kill_hard(first.proc)
        killed_at = time.monotonic()

        assert task_id not in first.task_ids(TASK_PROCESS_ARTICLE, "succeeded")
        assert _state(article.pk) == ProcessingState.PROCESSING
        assert not Passage.objects.filter(article=article).exists()  # nothing half-saved

        second = start_worker("second", broker, visibility_timeout=REDELIVERY_S)
        # The same message reaches the second worker. The killed worker's database session
        # still waits for the table (PostgreSQL notices the lost connection only when that
        # wait ends) and still holds the article: the second run leaves it to that session,
        # with no waiting, rather than process it beside the dead one.
        wait_for(lambda: task_id in second.task_ids(TASK_PROCESS_ARTICLE, "succeeded"), timeout=60)
        assert _state(article.pk) == ProcessingState.PROCESSING
    # The table is free: the dead session's write fails and its session ends. The sweep (on a
    # schedule in production) hands the article to the live worker.
    with publishing_to(broker.url, queue=broker.queue):
        wait_for(lambda: bool(sweep_stranded().processing), timeout=30)
    wait_for(lambda: _processed(article.pk), timeout=60)

    expected = [(s.start, s.end, s.text) for s in split_passages(ARTICLE_TEXT)]
    passages = list(
        Passage.objects.filter(article=article)
        .order_by("ordinal")
        .values_list("start", "end", "text", "embedding")
    )
    assert [(start, end, text) for start, end, text, _ in passages] == expected
    assert all(embedding is not None for *_, embedding in passages)
    # The killed run's transaction never committed: one follow-up matching task, not two.
    follow_ups = OutboxMessage.objects.filter(task_name=TASK_MATCH_ARTICLE, args=[article.pk])
    assert follow_ups.count() == 1
    record_property(
        "observed",
        f"{broker.kind}: worker SIGKILLed mid-task, nothing written; its redelivered task left "
        f"the article to the dead session still listed; once that session ended the sweep "
        f"handed it to the second worker, article processed {time.monotonic() - killed_at:.0f} s "
        f"after the kill (incl. worker start); {len(passages)}/{len(expected)} passages, "
        f"0 duplicates, 1 follow-up task",
    )


def test_an_article_whose_task_died_with_its_worker_is_taken_up_when_a_worker_starts(
    redis_broker: Broker,
    start_worker: StartWorker,
    project: Project,
    record_property: RecordProperty,
) -> None:
    """The production visibility timeout (an hour): the broker does not hand the dead worker's
    message on, as kombu's filesystem transport never does. The article, the only one of its
    project, would stay "processing" with an empty queue; the new worker's start-up sweep
    queues it again."""
    first = start_worker("first", redis_broker)
    with table_locked("annotations_passage"):
        with publishing_to(redis_broker.url, queue=redis_broker.queue):
            article = article_create(project=project, text=ARTICLE_TEXT, outlet="Gazette")
        wait_for(lambda: waiting_on_lock(first.application_name), timeout=60)
        kill_hard(first.proc)
    # The dead session ends (and frees the article's lock) once its wait is over.
    wait_for(
        lambda: (
            not rows(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = %s",
                [first.application_name],
            )
        ),
        timeout=30,
    )
    assert _state(article.pk) == ProcessingState.PROCESSING
    assert redis_broker.redis is not None
    assert redis_broker.redis.queued_tasks(redis_broker.queue) == []  # nothing left to deliver
    killed_at = time.monotonic()

    with publishing_to(redis_broker.url, queue=redis_broker.queue):
        second = start_worker("second", redis_broker)
        wait_for(lambda: _processed(article.pk), timeout=90)
    assert Article.objects.filter(project=project).count() == 1  # no other article woke it
    assert second.task_ids(TASK_PROCESS_ARTICLE, "succeeded")
    expected = [(s.start, s.end, s.text) for s in split_passages(ARTICLE_TEXT)]
    stored = Passage.objects.filter(article=article).order_by("ordinal")
    assert [(p.start, p.end, p.text) for p in stored] == expected
    record_property(
        "observed",
        f"{redis_broker.kind} (visibility timeout 1 h): worker SIGKILLed mid-run, its message "
        f"not redelivered; the next worker's start-up sweep re-queued the article, processed "
        f"{time.monotonic() - killed_at:.0f} s after the restart began",
    )


def test_matching_a_batch_killed_mid_run_is_taken_up_without_duplicate_candidates(
    broker: Broker, start_worker: StartWorker, project: Project, record_property: RecordProperty
) -> None:
    first = start_worker("first", broker, visibility_timeout=REDELIVERY_S)
    with publishing_to(broker.url, queue=broker.queue):
        articles = [
            article_create(project=project, text=text, outlet=outlet)
            for text, outlet in [(ARTICLE_TEXT, "Gazette"), (SECOND_ARTICLE_TEXT, "Courier")]
        ]
        wait_for(lambda: all(_processed(a.pk) for a in articles), timeout=90)
        # Matching the articles (no claims yet) must be over before the claims' run is cut.
        finished = "(?:succeeded|raised|failed)"
        wait_for(lambda: len(set(first.task_ids(TASK_MATCH_ARTICLE, finished))) == 2, timeout=60)

        with table_locked("claims_matchcandidate"):
            with transaction.atomic():  # a burst: the claims wait together
                ids = [claim_create(project=project, statement=s).pk for s in CLAIMS]
            # A run writes its batch's candidates (or deletes stale ones) in one transaction:
            # it waits at the table with every claim of the batch taken.
            wait_for(lambda: waiting_on_lock(first.application_name), timeout=60)
            holders = {h for (h,) in rows(_HELD_BY, [ids])}
            assert len(holders) == 1 and "" not in holders, holders  # one run took them all
            kill_hard(first.proc)
            killed_at = time.monotonic()
            assert not MatchCandidate.objects.filter(claim_id__in=ids).exists()

            second = start_worker("second", broker, visibility_timeout=REDELIVERY_S)
            # The dead session still waits for the table and still holds the claims: the
            # second worker's tasks leave them to it, with no waiting.
            wait_for(lambda: second.task_ids(TASK_MATCH_CLAIM, "succeeded"), timeout=60)
            assert _waiting(ids) == ids
        # The table is free: the dead session's write fails and its session ends. The sweep
        # (on a schedule in production) hands the claims to the live worker.
        wait_for(lambda: sweep_waiting_claims() == [ids[0]], timeout=30)
        wait_for(lambda: not _waiting(ids), timeout=90)

        after_sweep = _candidates(ids)
        assert after_sweep, "the run proposed nothing"
        assert len(after_sweep) == len(set(after_sweep))

        # A clean rerun of the same claims finds exactly the same candidates and adds none.
        with transaction.atomic():
            for pk in ids:
                claim_request_matching(claim_id=pk)
        wait_for(lambda: not _waiting(ids), timeout=90)
    assert _candidates(ids) == after_sweep
    record_property(
        "observed",
        f"{broker.kind}: a batch of {len(ids)} claims SIGKILLed mid-run, no candidate written; "
        f"left to the dead session while it was listed, then swept to the second worker and "
        f"matched {time.monotonic() - killed_at:.0f} s after the kill (incl. worker start): "
        f"{len(after_sweep)} candidates, 0 duplicates; a clean rerun: the same ones",
    )


_HELD_BY = "SELECT held_by FROM claims_claim WHERE id = ANY(%s)"


def _waiting(ids: list[int]) -> list[int]:
    rows = Claim.objects.filter(pk__in=ids, match_requested_at__isnull=False)
    return sorted(rows.values_list("pk", flat=True))


def _candidates(claim_ids: list[int]) -> list[tuple[int, int | None, int | None]]:
    return sorted(
        MatchCandidate.objects.filter(claim_id__in=claim_ids).values_list(
            "claim_id", "passage_id", "target_claim_id"
        ),
        key=str,
    )
