"""Claims waiting for matching are taken in batched runs (claims.matching.waiting).

A write that needs a claim matched marks it waiting and queues a task only when it was not
waiting already; a run takes its claim and others of the project waiting, matches them in one
go, and clears the marks it matched. The candidates must be the ones matching the claims one by
one gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from annotations.services import holds
from annotations.services.recovery import sweep_stranded
from claims.matching import engine, match_claim, match_waiting_claims, waiting
from claims.matching.queries import claims_index
from claims.models import Claim, ClaimOrigin, MatchCandidate
from claims.services import annotation_create, claim_create, claim_update
from claims.services.claims import TASK_MATCH_CLAIM, claim_request_matching
from common.models import OutboxMessage
from tests.claims.test_matching_batches import COURIER
from tests.claims.test_matching_engine import CLAIM_QUOTE, GAZETTE, HARBOUR, load
from tests.conftest import database_url_for_tests, wait_for
from tests.factories import ProjectFactory

STATEMENTS = (
    "Ferry workers in Dunmore have been on strike for nine weeks",
    "Repairs to the Dunmore pier will cost 4 million euros",
    "The Harbour Council voted to close the ferry terminal",
    "Airport staff in Brennport struck for six weeks",
    "Tourism in the region fell over the summer",
)


@pytest.fixture(autouse=True)
def _no_worker_takes_the_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued tasks stay in the outbox: a worker of the test session must not match the claims
    while the test looks at them."""
    monkeypatch.setattr("common.outbox._send", lambda message: False)


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The claims of each matching run (engine.match_claims call) the test causes."""
    calls: list[list[int]] = []
    real = engine.match_claims

    def counted(*, claim_ids: list[int], **kwargs: Any) -> int:
        calls.append(sorted(claim_ids))
        return real(claim_ids=claim_ids, **kwargs)

    monkeypatch.setattr(waiting, "match_claims", counted)
    return calls


def queued(claim_id: int | None = None) -> list[int]:
    args = OutboxMessage.objects.filter(task_name=TASK_MATCH_CLAIM).values_list("args", flat=True)
    return [a[0] for a in args if claim_id is None or a[0] == claim_id]


def waiting_ids(project) -> list[int]:  # type: ignore[no-untyped-def]
    return list(waiting.waiting_claims(project.pk).values_list("pk", flat=True))


def candidates(claim_ids: list[int]) -> list[tuple[object, ...]]:
    rows = MatchCandidate.objects.filter(claim_id__in=claim_ids, passage__isnull=False)
    return sorted(rows.values_list("claim_id", "passage_id", "start", "end"))


def scores(claim_ids: list[int]) -> dict[tuple[int, int], float]:
    rows = MatchCandidate.objects.filter(claim_id__in=claim_ids, passage__isnull=False)
    return {(c, p): s for c, p, s in rows.values_list("claim_id", "passage_id", "score")}


@pytest.mark.django_db
def test_a_burst_of_claims_is_matched_in_one_run_as_one_by_one_would(project, runs) -> None:
    for text, outlet in [(HARBOUR, "Harbour Times"), (GAZETTE, "Coast Gazette")]:
        load(project, text, outlet)
    load(project, COURIER, "Courier")
    ids = [
        claim_create(project=project, statement=s, origin=ClaimOrigin.TRACKED).pk
        for s in STATEMENTS
    ]
    assert sorted(queued()) == ids  # each new claim queues its task
    claims_index(ids)  # both ways then see every claim's vector (claim links)
    for pk in ids:
        match_claim(claim_id=pk)
    one_by_one, one_by_one_scores = candidates(ids), scores(ids)
    assert one_by_one, "the claims were proposed nowhere: nothing to compare"
    MatchCandidate.objects.all().delete()

    assert match_waiting_claims(claim_id=ids[2]) > 0
    assert runs == [ids]  # the task's claim and the others waiting, in one run
    assert waiting_ids(project) == []
    assert candidates(ids) == one_by_one
    batched = scores(ids)
    # The statements embed in one model call instead of one each: the same vectors but for
    # float rounding, so scores agree to the stored precision's last digit.
    assert all(abs(batched[k] - one_by_one_scores[k]) <= 2e-4 for k in batched)
    # The other claims' tasks find nothing left and return at once.
    assert [match_waiting_claims(claim_id=pk) for pk in ids if pk != ids[2]] == [0] * 4
    assert len(runs) == 1


@pytest.mark.django_db
def test_a_run_takes_at_most_a_batch_and_leaves_the_rest_to_their_tasks(project, runs) -> None:
    ids = [
        claim_create(project=project, statement=f"The fare rose by {n} euros").pk
        for n in range(waiting.CLAIM_BATCH + 2)
    ]
    match_waiting_claims(claim_id=ids[-1])
    assert runs == [sorted([ids[-1], *ids[: waiting.CLAIM_BATCH - 1]])]
    assert waiting_ids(project) == ids[waiting.CLAIM_BATCH - 1 : -1]
    match_waiting_claims(claim_id=ids[0])  # its claim was matched: it takes the others
    assert runs[1] == ids[waiting.CLAIM_BATCH - 1 : -1]
    assert waiting_ids(project) == []


@pytest.mark.django_db
def test_two_quick_edits_of_one_claim_are_matched_in_one_run(project, runs) -> None:
    claim = claim_create(project=project, statement="The ferry strike lasted nine weeks")
    for wording in ("The ferry strike lasted 9 weeks", "The ferry strike has lasted 9 weeks"):
        claim = claim_update(claim=claim, actor=None, statement=wording)
    assert queued(claim.pk) == [claim.pk]  # the edits found it waiting: no second task
    assert match_waiting_claims(claim_id=claim.pk) == 0  # no article yet: nothing to propose
    assert runs == [[claim.pk]]
    assert match_waiting_claims(claim_id=claim.pk) == 0
    assert runs == [[claim.pk]]  # the second task found nothing waiting
    stored = Claim.objects.get(pk=claim.pk)
    assert stored.embedding is not None and stored.match_requested_at is None


@pytest.mark.django_db
def test_marking_a_waiting_claim_again_queues_nothing_more(project) -> None:
    article = load(project, HARBOUR, "Harbour Times")
    claim = claim_create(project=project, statement="The strike has lasted nine weeks")
    start = HARBOUR.index(CLAIM_QUOTE)
    annotation_create(article=article, start=start, end=start + len(CLAIM_QUOTE), claim=claim)
    annotation_create(article=article, start=0, end=20, claim=claim)
    assert queued(claim.pk) == [claim.pk]
    match_waiting_claims(claim_id=claim.pk)
    assert waiting_ids(project) == []
    annotation_create(article=article, start=21, end=40, claim=claim)
    assert queued(claim.pk) == [claim.pk, claim.pk]  # matched since: asked again, a new task


@pytest.mark.django_db
def test_a_claim_asked_again_during_its_run_stays_waiting_with_one_follow_up(
    project, monkeypatch
) -> None:
    claim = claim_create(project=project, statement="The ferry strike lasted nine weeks")
    OutboxMessage.objects.all().delete()
    real = engine.match_claims

    def edited_meanwhile(*, claim_ids: list[int], **kwargs: Any) -> int:
        # an editor's write while the run works: it finds the claim waiting, queues nothing
        assert claim_request_matching(claim_id=claim.pk) is False
        return real(claim_ids=claim_ids, **kwargs)

    monkeypatch.setattr(waiting, "match_claims", edited_meanwhile)
    match_waiting_claims(claim_id=claim.pk)
    stored = Claim.objects.get(pk=claim.pk)
    assert stored.match_requested_at is not None and stored.held_by == ""
    assert queued() == [claim.pk]  # the run's follow-up


@pytest.mark.django_db
def test_a_failed_run_leaves_no_claim_held_or_waiting(project, monkeypatch) -> None:
    claim = claim_create(project=project, statement="The ferry strike lasted nine weeks")

    def broken(**kwargs: Any) -> int:
        raise RuntimeError("a bug in scoring")

    monkeypatch.setattr(waiting, "match_claims", broken)
    with pytest.raises(RuntimeError):
        match_waiting_claims(claim_id=claim.pk)
    stored = Claim.objects.get(pk=claim.pk)
    # not back at every sweep: the failure is logged, as a failed task's always was
    assert (stored.match_requested_at, stored.held_by) == (None, "")


@pytest.fixture
def other_session() -> Iterator[psycopg.Connection]:
    """A second database session, standing in for a live worker's run."""
    with psycopg.connect(database_url_for_tests(), autocommit=True) as conn:
        yield conn


def _session(conn: psycopg.Connection) -> str:
    row = conn.execute(
        f"SELECT {holds._SESSION} FROM pg_stat_activity WHERE pid = pg_backend_pid()"
    ).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.django_db(transaction=True)
def test_the_sweep_wakes_claims_whose_task_was_lost(project, other_session) -> None:
    other = ProjectFactory()
    first, _ = (claim_create(project=project, statement=s) for s in STATEMENTS[:2])
    held = claim_create(project=other, statement=STATEMENTS[2])
    Claim.objects.filter(pk=held.pk).update(held_by=_session(other_session))  # a live run's
    with psycopg.connect(database_url_for_tests(), autocommit=True) as gone:
        dead = claim_create(project=ProjectFactory(), statement=STATEMENTS[3])
        Claim.objects.filter(pk=dead.pk).update(held_by=_session(gone))
    # The server process of a closed connection ends a moment after the client.
    wait_for(lambda: holds.not_held(Claim.objects.filter(pk=dead.pk)).exists(), timeout=10)
    OutboxMessage.objects.all().delete()  # the tasks were lost with a worker
    sweep_stranded()
    assert sorted(queued()) == sorted([first.pk, dead.pk])  # one per project, the oldest
    match_waiting_claims(claim_id=dead.pk)  # a dead run's claim is taken up
    assert not Claim.objects.filter(pk=dead.pk, match_requested_at__isnull=False).exists()
    assert Claim.objects.get(pk=held.pk).held_by == _session(other_session)  # left to it
