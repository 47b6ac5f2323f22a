"""A claim's links to other claims are read and scored beside its passages'
(claims.matching.parallel).

Reads beside the caller use their own connections and see committed rows only: they run beside
it only when it holds no transaction, and must then give the candidates the reads in line give.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from annotations.models import Article, ProcessingState
from annotations.services import article_process
from claims.matching import match_claim, parallel, retrieval
from claims.matching.queries import claims_index
from claims.models import MatchCandidate
from common.errors import ApplicationError
from tests.claims.test_matching_engine import CLAIM_QUOTE, GAZETTE, HARBOUR
from tests.factories import AnnotationFactory, ArticleFactory, ClaimFactory


def candidates(claim_id: int) -> list[tuple[object, ...]]:
    mine = MatchCandidate.objects.filter(Q(claim_id=claim_id) | Q(target_claim_id=claim_id))
    rows = mine.values_list("passage_id", "claim_id", "start", "end", "score", "signals")
    return sorted(((*row[:4], round(row[4], 5), row[5]) for row in rows), key=lambda r: repr(r[:4]))


def threads_of(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """Record the thread that runs retrieval.`name` (the engine calls it through the module)."""
    seen: list[str] = []
    original = getattr(retrieval, name)

    def spy(**kwargs: object) -> list[int]:
        seen.append(threading.current_thread().name)
        return original(**kwargs)

    monkeypatch.setattr(retrieval, name, spy)
    return seen


@pytest.mark.django_db(transaction=True)
def test_reads_beside_give_the_candidates_reads_in_line_give(project, settings, monkeypatch):
    # Articles made directly and marked matched once processed: the matching tasks processing
    # queues, if a worker of the test session runs them, find nothing left to do.
    harbour, gazette = (
        ArticleFactory(project=project, text=text, processing_state=ProcessingState.PENDING)
        for text in (HARBOUR, GAZETTE)
    )
    for article in (harbour, gazette):
        article_process(article_id=article.pk)
    Article.objects.filter(pk__in=[harbour.pk, gazette.pk]).update(matched_at=timezone.now())
    tracked = ClaimFactory(project=project, statement="The Dunmore ferry strike lasted nine weeks")
    claims_index([tracked.pk])
    claim = ClaimFactory(project=project, statement="The ferry strike in Dunmore lasted 9 weeks")
    start = HARBOUR.index(CLAIM_QUOTE)
    AnnotationFactory(article=harbour, claim=claim, start=start, end=start + len(CLAIM_QUOTE))
    passages = threads_of(monkeypatch, "passages_for_claim")
    links = threads_of(monkeypatch, "claims_near_claim")

    settings.CLAIMTRACK_MATCHING_THREADS = 0
    written = match_claim(claim_id=claim.pk)
    in_line = candidates(claim.pk)
    MatchCandidate.objects.filter(Q(claim=claim) | Q(target_claim=claim)).delete()
    settings.CLAIMTRACK_MATCHING_THREADS = 1
    assert match_claim(claim_id=claim.pk) == written
    beside = candidates(claim.pk)

    assert beside == in_line
    assert {r[0] for r in beside if r[0]} & set(gazette.passages.values_list("pk", flat=True))
    assert [r[1] for r in beside if not r[0]] == [tracked.pk], "the claim link is proposed"
    assert passages == ["MainThread", "MainThread"]
    assert links[0] == "MainThread" and links[1].startswith("claimtrack-reads"), links


@pytest.mark.django_db
def test_inside_a_transaction_every_read_runs_in_line(project, monkeypatch) -> None:
    # A test's transaction is not committed: a reader thread would not see its rows.
    links = threads_of(monkeypatch, "claims_near_claim")
    article = ArticleFactory(
        project=project, text=HARBOUR, processing_state=ProcessingState.PENDING
    )
    article_process(article_id=article.pk)
    claim = ClaimFactory(project=project, statement=CLAIM_QUOTE)
    assert match_claim(claim_id=claim.pk) > 0
    assert links == ["MainThread"]


@pytest.mark.django_db(transaction=True)
def test_a_read_beside_uses_its_own_connection_and_its_error_reaches_the_caller() -> None:
    def fails() -> None:
        raise ApplicationError("read failed")

    with parallel.reads() as reads:
        assert reads.beside
        own = reads.submit(backend)
        failed = reads.submit(fails)
    assert own.result() != backend()
    with pytest.raises(ApplicationError, match="read failed"):
        failed.result()
    with transaction.atomic(), parallel.reads() as reads:
        assert not reads.beside
        assert reads.submit(backend).result() == backend()
        with pytest.raises(ApplicationError, match="read failed"):
            reads.submit(fails).result()


@pytest.mark.django_db(transaction=True)
def test_shutdown_closes_the_reader_threads_connections(settings) -> None:
    settings.CLAIMTRACK_MATCHING_THREADS = 2
    parallel.shutdown()
    barrier = threading.Barrier(2)

    def hold() -> int:  # both threads at once, each on its own connection
        barrier.wait(10)
        return backend()

    with parallel.reads() as reads:
        held = [reads.submit(hold), reads.submit(hold)]
    pids = {f.result() for f in held}
    assert len(pids) == 2 and backend() not in pids
    assert alive(pids) == pids
    parallel.shutdown()
    assert alive(pids) == set()


def backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def alive(pids: set[int]) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
        return {row[0] for row in cursor.fetchall()}
