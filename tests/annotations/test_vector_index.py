"""The passages' IVFFlat index: built with lists for the table's size, rebuilt in the background
when the table has doubled, searched exactly as long as its probes cover every list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from annotations.models import Article, Passage, ProcessingState
from annotations.services import article_create, vector_index
from annotations.services.vector_index import (
    INDEX_NAME,
    TASK_REBUILD_INDEX,
    index_state,
    lists_for,
    probes_for,
    rebuild,
    rebuild_check,
)
from claims.matching.retrieval import passages_for_claim
from common.models import OutboxMessage
from tests.conftest import database_url_for_tests, quiesce_database, wait_for
from tests.factories import ArticleFactory

CLUSTERED_ROWS = 20_000  # lists_for() gives 20 lists: twice the 10 of the smallest clustering


def test_lists_follow_pgvectors_guidance_and_probes_a_share_of_them() -> None:
    assert [lists_for(n) for n in (0, 9_999, 10_000, 250_000, 1_000_000)] == [1, 1, 10, 250, 1000]
    assert lists_for(4_000_000) == 2_000  # sqrt beyond a million rows
    assert [probes_for(n) for n in (1, 10, 20, 100, 1000, 5000)] == [1, 10, 20, 20, 20, 100]


def _fill(article: Article, rows: int) -> None:
    """`rows` passages with random unit vectors, in one statement, and fresh statistics."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO annotations_passage (article_id, ordinal, start, "end", text, embedding,
                                             clause_bounds)
            SELECT %s, n, 0, 1, 'x', r.v::vector, '{}'
            FROM generate_series(1, %s) AS n,
            LATERAL (SELECT array_agg(random() - 0.5) AS v FROM generate_series(1, 384)
                     WHERE n > 0) AS r
            """,
            [article.pk, rows],
        )
        cursor.execute("ANALYZE annotations_passage")


@pytest.fixture
def small_index() -> Iterator[None]:
    """Put the index back to one list afterwards (a test database is flushed, not rebuilt)."""
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER INDEX {INDEX_NAME} SET (lists = 1)")
        cursor.execute(f"REINDEX INDEX {INDEX_NAME}")


@pytest.mark.django_db
def test_a_small_table_is_not_rebuilt_and_a_doubled_one_is(project, small_index) -> None:
    article = ArticleFactory(project=project)
    state = index_state()
    assert state is not None and state.lists == 1 and not state.rebuild_due
    assert not rebuild().rebuilt

    _fill(article, CLUSTERED_ROWS)
    state = index_state()
    assert state is not None and state.rebuild_due
    report = rebuild(concurrently=False)
    assert (report.rebuilt, report.lists_before, report.lists) == (True, 1, 20)
    state = index_state()
    assert state is not None and state.lists == 20 and not state.rebuild_due
    assert not rebuild().rebuilt  # not due again until the table doubles once more


@pytest.mark.django_db
def test_search_on_the_rebuilt_index_finds_the_exact_nearest(project, small_index) -> None:
    article = ArticleFactory(project=project)
    _fill(article, CLUSTERED_ROWS)
    rebuild(concurrently=False)
    query = np.random.default_rng(3).standard_normal(384).astype(np.float32)
    query /= np.linalg.norm(query)
    found = passages_for_claim(project_id=project.pk, vectors=[query], texts=[], k=20)
    literal = "[" + ",".join(f"{x:.7g}" for x in query) + "]"
    distance = "embedding::halfvec(384) <=> %s::halfvec(384)"
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(
            f"SELECT {distance} FROM annotations_passage ORDER BY {distance} LIMIT 20",
            [literal, literal],
        )
        exact = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT id, {distance} FROM annotations_passage WHERE id = ANY(%s)", [literal, found]
        )
        of_found = dict(cursor.fetchall())
    # 20 lists, 20 probes: every list is read, so the index returns the exact answer of the
    # vectors it holds. Compared by distance, not id: float16 rounding makes random vectors'
    # near-ties, which the index and the sequential scan may return in either order (the bench
    # measures recall on real embeddings).
    assert len(found) == 20
    assert [of_found[pk] for pk in found] == pytest.approx(exact, abs=1e-4)


@pytest.mark.django_db
def test_a_rebuild_under_way_elsewhere_is_left_to_finish(project, small_index) -> None:
    other = psycopg.connect(database_url_for_tests(), autocommit=True)
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [vector_index._LOCK_KEY])
        assert not rebuild(force=True).rebuilt
        # Unlock before closing: a closed connection's backend may still hold the lock for a
        # moment after close() returns, and the rebuild below would then find it taken.
        other.execute("SELECT pg_advisory_unlock(%s)", [vector_index._LOCK_KEY])
    finally:
        other.close()
    assert rebuild(force=True, concurrently=False).rebuilt


@pytest.mark.django_db
def test_a_doubled_table_queues_one_rebuild(project, small_index) -> None:
    article = ArticleFactory(project=project)
    assert not rebuild_check()
    _fill(article, CLUSTERED_ROWS)
    assert rebuild_check()
    assert not rebuild_check()  # queued already: the rebuild re-checks for itself
    assert OutboxMessage.objects.filter(task_name=TASK_REBUILD_INDEX).count() == 1
    # Once the window has passed with the table still doubled, it is queued again.
    since = timezone.now() - timedelta(seconds=vector_index.REBUILD_CHECK_SECONDS + 1)
    OutboxMessage.objects.filter(task_name=TASK_REBUILD_INDEX).update(created_at=since)
    assert rebuild_check()
    assert OutboxMessage.objects.filter(task_name=TASK_REBUILD_INDEX).count() == 2


@pytest.mark.worker
def test_the_worker_rebuilds_the_index_after_an_article_doubles_the_table(
    worker, project, small_index
) -> None:
    _fill(ArticleFactory(project=project), CLUSTERED_ROWS)
    article = article_create(project=project, text="The bridge reopened on Monday.", outlet="G")

    def processed() -> bool:
        state = Article.objects.get(pk=article.pk).processing_state
        return state == ProcessingState.PROCESSED

    def relisted() -> bool:
        state = index_state()
        return state is not None and state.lists == 20

    wait_for(processed, timeout=120)
    # the new list count is committed first, then the index is rebuilt CONCURRENTLY
    assert wait_for(relisted, timeout=120)
    quiesce_database(timeout=120)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname LIKE %s",
            [INDEX_NAME + "%"],
        )
        assert [row[0] for row in cursor.fetchall()] == [True]  # one index, valid
    assert Passage.objects.filter(article=article).exists()


@pytest.mark.django_db
def test_passage_vectors_stay_inline_in_their_rows() -> None:
    """An exact scan reads each vector from the row, not through the TOAST table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'annotations_passage'::regclass AND attname = 'embedding'"
        )
        assert cursor.fetchone()[0] == "p"
