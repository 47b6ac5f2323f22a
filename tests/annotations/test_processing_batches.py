"""A processing run takes the articles waiting in its project, up to processing.PROCESS_BATCH.

Under a bulk load the worker's queue holds a processing task per article; one run embeds a few
waiting articles in one model pass, and the tasks of those it took find nothing left. Each
article must get the passages processing it alone gives. An article another run holds (an
advisory lock) is left to it; one a dead run left PROCESSING is taken up.
"""

from __future__ import annotations

import numpy as np
import psycopg
import pytest

from annotations.models import Article, Passage, ProcessingState
from annotations.services import article_create, article_process, holds, processing
from annotations.services.articles import TASK_PROCESS_ARTICLE
from claims.receivers import TASK_MATCH_ARTICLE
from common.models import OutboxMessage
from tests.conftest import database_url_for_tests
from tests.factories import ProjectFactory

TEXTS = (
    "The ferry crews of Dunmore struck on Monday. The council says the terminal will close.",
    "Repairs to the pier would cost four million euros, the engineers wrote in their report.",
    "Nine weeks into the strike, the union asked the minister to step in. She declined.",
)


def _load(project, texts=TEXTS) -> list[int]:  # type: ignore[no-untyped-def]
    return [
        article_create(project=project, text=t, outlet=f"Outlet {i}").pk
        for i, t in enumerate(texts)
    ]


def _states(ids: list[int]) -> list[str]:
    states = dict(Article.objects.filter(pk__in=ids).values_list("pk", "processing_state"))
    return [states[pk] for pk in ids]


def _passages(article_id: int) -> list[tuple[int, int, str, np.ndarray, bytes]]:
    found = []
    for p in Passage.objects.filter(article_id=article_id).order_by("ordinal"):
        assert p.unit_vectors is not None  # processing stores them with every passage
        found.append((p.start, p.end, p.text, np.asarray(p.embedding), bytes(p.unit_vectors)))
    return found


def _queued(task: str, ids: list[int]) -> list[int]:
    sent = OutboxMessage.objects.filter(task_name=task).values_list("args", flat=True)
    return sorted(args[0] for args in sent if args[0] in ids)


@pytest.mark.django_db
def test_one_run_processes_the_waiting_articles_as_each_alone_would(project, monkeypatch) -> None:
    ids = _load(project)
    elsewhere = _load(ProjectFactory(), TEXTS[:1])

    processed = article_process(article_id=ids[1])
    assert processed is not None and processed.pk == ids[1]
    assert _states(ids) == [ProcessingState.PROCESSED] * 3
    assert _states(elsewhere) == [ProcessingState.PENDING], "another project's is not taken"
    assert _queued(TASK_MATCH_ARTICLE, ids) == sorted(ids)  # a matching task for each
    together = {pk: _passages(pk) for pk in ids}
    assert all(together.values())
    assert article_process(article_id=ids[0]) is None  # its own task: nothing left to do
    assert _queued(TASK_MATCH_ARTICLE, ids) == sorted(ids)

    # One by one, in another project: the same spans, and vectors equal to float precision
    # (the model pass is shared, its batches cut differently).
    monkeypatch.setattr(processing, "PROCESS_BATCH", 1)
    alone = _load(ProjectFactory())
    for pk in alone:
        article_process(article_id=pk)
    for pk, other in zip(ids, alone, strict=True):
        mine, theirs = together[pk], _passages(other)
        assert [p[:3] for p in mine] == [p[:3] for p in theirs]
        assert all(np.allclose(a[3], b[3], atol=1e-5) for a, b in zip(mine, theirs, strict=True))


@pytest.mark.django_db
def test_a_run_takes_at_most_the_batch_and_the_oldest_first(project, monkeypatch) -> None:
    monkeypatch.setattr(processing, "PROCESS_BATCH", 2)
    first, second, third = _load(project)
    article_process(article_id=third)
    assert _states([first, second, third]) == [
        ProcessingState.PROCESSED,
        ProcessingState.PENDING,
        ProcessingState.PROCESSED,
    ]


def _session(other: psycopg.Connection) -> str:
    """The session string of another connection (as a run on it would write into held_by)."""
    row = other.execute(
        f"SELECT {holds._SESSION} FROM pg_stat_activity WHERE pid = pg_backend_pid()"
    ).fetchone()
    assert row is not None
    return str(row[0])


def _held_by(other: psycopg.Connection, pk: int) -> None:
    Article.objects.filter(pk=pk).update(
        processing_state=ProcessingState.PROCESSING, held_by=_session(other)
    )


@pytest.mark.django_db
def test_an_article_another_live_run_holds_is_left_to_that_run(project) -> None:
    held, free = _load(project, TEXTS[:2])
    with psycopg.connect(database_url_for_tests(), autocommit=True) as other:
        _held_by(other, held)
        # Its own task does the other waiting work and leaves this one to the live run.
        assert article_process(article_id=held) is None
        assert _states([held, free]) == [ProcessingState.PROCESSING, ProcessingState.PROCESSED]
        assert not Passage.objects.filter(article_id=held).exists()
        assert Article.objects.get(pk=held).held_by == _session(other)
    # That run's session ended (its worker died): the next task takes the article up.
    processed = article_process(article_id=held)
    assert processed is not None and processed.pk == held
    assert _states([held, free]) == [ProcessingState.PROCESSED] * 2
    assert Article.objects.filter(pk__in=[held, free], held_by="").count() == 2


@pytest.mark.django_db
def test_a_run_given_up_for_dead_writes_nothing(project, monkeypatch) -> None:
    [pk] = _load(project, TEXTS[:1])
    embed = processing.embed_with_windows
    with psycopg.connect(database_url_for_tests(), autocommit=True) as other:

        def taken_meanwhile(texts, windows):  # type: ignore[no-untyped-def]
            _held_by(other, pk)  # another run took the article while this one embedded it
            return embed(texts, windows)

        monkeypatch.setattr(processing, "embed_with_windows", taken_meanwhile)
        assert article_process(article_id=pk) is None
        assert not Passage.objects.filter(article_id=pk).exists()
        assert _states([pk]) == [ProcessingState.PROCESSING]
        assert Article.objects.get(pk=pk).held_by == _session(other)
        assert _queued(TASK_MATCH_ARTICLE, [pk]) == []


@pytest.mark.django_db
def test_an_article_a_dead_run_left_processing_is_taken_up(project) -> None:
    own, orphan = _load(project, TEXTS[:2])
    # The run that took it died: state PROCESSING, held by a session that is gone.
    Article.objects.filter(pk=orphan).update(
        processing_state=ProcessingState.PROCESSING, held_by="4242:1700000000000000"
    )
    article_process(article_id=own)
    assert _states([own, orphan]) == [ProcessingState.PROCESSED] * 2
    assert _passages(orphan)


@pytest.mark.django_db
def test_a_failed_model_pass_puts_the_others_back_in_the_queue(project, monkeypatch) -> None:
    own, *others = _load(project)

    def broken(*args: object) -> None:
        raise RuntimeError("model gone")

    monkeypatch.setattr(processing, "embed_with_windows", broken)
    with pytest.raises(RuntimeError, match="model gone"):
        article_process(article_id=own)
    # The task marks its own article failed; the others each get a task of their own again.
    assert _states(others) == [ProcessingState.PENDING] * 2
    assert _queued(TASK_PROCESS_ARTICLE, others) == sorted(others * 2)
    assert not Passage.objects.filter(article_id__in=[own, *others]).exists()


@pytest.mark.django_db
def test_an_error_in_another_article_marks_that_one_failed_only(project, monkeypatch) -> None:
    own, bad, fine = _load(project)
    split = processing.split_passages

    def picky(text: str, language: str = "en"):  # type: ignore[no-untyped-def]
        if text == TEXTS[1]:
            raise ValueError("cannot split this one")
        return split(text, language)

    monkeypatch.setattr(processing, "split_passages", picky)
    processed = article_process(article_id=own)
    assert processed is not None and processed.pk == own
    assert _states([own, bad, fine]) == [
        ProcessingState.PROCESSED,
        ProcessingState.FAILED,
        ProcessingState.PROCESSED,
    ]
    assert Article.objects.get(pk=bad).processing_error == "ValueError: cannot split this one"
