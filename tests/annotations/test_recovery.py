"""The sweep queues again what a dead run left behind, and leaves live runs alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest
from django.utils import timezone

from annotations.models import Article, ProcessingState
from annotations.services import holds
from annotations.services.articles import TASK_PROCESS_ARTICLE
from annotations.services.recovery import sweep_stranded
from claims.receivers import TASK_MATCH_ARTICLE
from common.models import OutboxMessage
from tests.conftest import database_url_for_tests, wait_for
from tests.factories import ArticleFactory, ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_worker_takes_the_tasks(monkeypatch) -> None:
    """The queued tasks stay in the outbox: a worker of the test session must not process the
    articles while the test looks at their states."""
    monkeypatch.setattr("common.outbox._send", lambda message: False)


@pytest.fixture
def other_session() -> Iterator[psycopg.Connection]:
    """A second database session, standing in for a live worker's run."""
    with psycopg.connect(database_url_for_tests(), autocommit=True) as conn:
        yield conn


def _queued(task: str) -> list[int]:
    rows = OutboxMessage.objects.filter(task_name=task).order_by("pk")
    return [args[0] for args in rows.values_list("args", flat=True)]


def _article(project, state: str, **fields) -> Article:
    article = ArticleFactory(project=project)
    Article.objects.filter(pk=article.pk).update(processing_state=state, **fields)
    OutboxMessage.objects.all().delete()  # what creating it queued: here, the task was lost
    return Article.objects.get(pk=article.pk)


def test_an_article_left_processing_by_a_dead_run_is_queued_again(project) -> None:
    article = _article(project, ProcessingState.PROCESSING)
    swept = sweep_stranded()
    assert swept.processing == [article.pk]
    article.refresh_from_db()
    assert article.processing_state == ProcessingState.PENDING
    assert _queued(TASK_PROCESS_ARTICLE).count(article.pk) == 2  # re-queued, and woken as waiting


def _session(conn: psycopg.Connection) -> str:
    row = conn.execute(
        f"SELECT {holds._SESSION} FROM pg_stat_activity WHERE pid = pg_backend_pid()"
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_an_article_a_live_run_holds_is_left_alone(project, other_session) -> None:
    article = _article(project, ProcessingState.PROCESSING, held_by=_session(other_session))
    swept = sweep_stranded()
    assert swept.processing == []
    article.refresh_from_db()
    assert article.processing_state == ProcessingState.PROCESSING
    assert article.held_by == _session(other_session)  # still that run's
    assert _queued(TASK_PROCESS_ARTICLE) == []


def test_an_article_whose_run_ended_is_queued_again(project) -> None:
    with psycopg.connect(database_url_for_tests(), autocommit=True) as gone:
        article = _article(project, ProcessingState.PROCESSING, held_by=_session(gone))
    # The server process of a closed connection ends a moment after the client.
    wait_for(lambda: holds.not_held(Article.objects.filter(pk=article.pk)).exists(), timeout=10)
    swept = sweep_stranded()
    assert swept.processing == [article.pk]
    article.refresh_from_db()
    assert (article.processing_state, article.held_by) == (ProcessingState.PENDING, "")


def test_waiting_work_is_woken_once_per_project(project) -> None:
    other = ProjectFactory()
    now = timezone.now()
    first = _article(project, ProcessingState.PENDING)
    _article(project, ProcessingState.PENDING)
    elsewhere = _article(other, ProcessingState.PENDING)
    unmatched = _article(project, ProcessingState.PROCESSED, processed_at=now)
    _article(project, ProcessingState.PROCESSED, processed_at=now + dt.timedelta(seconds=1))
    _article(other, ProcessingState.PROCESSED, processed_at=now, matched_at=now)  # matched
    OutboxMessage.objects.all().delete()
    swept = sweep_stranded()
    assert swept.waiting == sorted([first.pk, elsewhere.pk])
    assert swept.matching == [unmatched.pk]
    assert sorted(_queued(TASK_PROCESS_ARTICLE)) == sorted([first.pk, elsewhere.pk])
    assert _queued(TASK_MATCH_ARTICLE) == [unmatched.pk]


def test_articles_a_matching_run_holds_are_left_to_it(project, other_session) -> None:
    article = _article(project, ProcessingState.PROCESSED, processed_at=timezone.now())
    Article.objects.filter(pk=article.pk).update(held_by=_session(other_session))
    swept = sweep_stranded()
    assert swept.matching == []
    assert _queued(TASK_MATCH_ARTICLE) == []


def test_nothing_stranded_queues_nothing(project) -> None:
    now = timezone.now()
    _article(project, ProcessingState.PROCESSED, processed_at=now, matched_at=now)
    _article(project, ProcessingState.FAILED)
    assert not sweep_stranded()
    assert not OutboxMessage.objects.exists()
