"""A matching run takes the articles waiting in its project, up to article_matching.MATCH_BATCH.

Under a bulk load the worker's queue holds a matching task per article; the first run takes
several waiting articles at once and the tasks of those it took find nothing left. The
candidates must be the ones matching the articles one by one gives.
"""

from __future__ import annotations

import psycopg
import pytest
from django.utils import timezone

from annotations.models import Article, ProcessingState
from annotations.services import article_create, article_process
from claims.matching import article_matching, match_article
from claims.matching.queries import claims_index
from claims.models import ClaimOrigin, MatchCandidate
from claims.services import claim_create
from tests.claims.test_matching_engine import GAZETTE, HARBOUR, load
from tests.conftest import database_url_for_tests
from tests.factories import ArticleFactory, ProjectFactory

COURIER = (
    "Dunmore's ferry crews marked nine weeks on strike on Monday.\n"
    "The council says the terminal will close; repairs to the pier would cost four million euros."
)
STATEMENTS = (
    "Ferry workers in Dunmore have been on strike for nine weeks",
    "Repairs to the Dunmore pier will cost 4 million euros",
)


def track(project) -> list[int]:  # type: ignore[no-untyped-def]
    ids = [
        claim_create(project=project, statement=s, origin=ClaimOrigin.TRACKED).pk
        for s in STATEMENTS
    ]
    claims_index(ids)
    return ids


def candidates(article_ids: list[int]) -> list[tuple[object, ...]]:
    rows = MatchCandidate.objects.filter(article_id__in=article_ids).values_list(
        "claim_id", "passage_id", "start", "end", "score"
    )
    return sorted((*row[:4], round(row[4], 5)) for row in rows)


def waiting(article_ids: list[int]) -> set[int]:
    return set(
        Article.objects.filter(pk__in=article_ids, matched_at=None).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_one_run_matches_the_waiting_articles_as_one_run_each_would(project, monkeypatch) -> None:
    track(project)
    articles = [
        load(project, text, outlet)
        for text, outlet in [(HARBOUR, "Harbour Times"), (GAZETTE, "Gazette"), (COURIER, "Courier")]
    ]
    ids = [a.pk for a in articles]
    elsewhere = ProjectFactory()
    other = load(elsewhere, HARBOUR, "Harbour Times")
    assert waiting(ids) == set(ids)

    written = match_article(article_id=ids[1])
    together = candidates(ids)
    assert written == len(together) > 0
    assert waiting(ids) == set()
    assert {row[1] for row in together} & set(
        MatchCandidate.objects.filter(article_id=ids[0]).values_list("passage_id", flat=True)
    ), "the oldest waiting article was matched by the run of the second"
    assert waiting([other.pk]) == {other.pk}, "another project's article is not taken"
    assert match_article(article_id=ids[0]) == 0  # its own task: nothing left to do
    assert candidates(ids) == together

    MatchCandidate.objects.filter(article_id__in=ids).delete()
    Article.objects.filter(pk__in=ids).update(matched_at=None)
    monkeypatch.setattr(article_matching, "MATCH_BATCH", 1)
    for pk in ids:
        match_article(article_id=pk)
    assert candidates(ids) == together


@pytest.mark.django_db
def test_a_run_takes_at_most_the_batch_and_the_oldest_first(project, monkeypatch) -> None:
    monkeypatch.setattr(article_matching, "MATCH_BATCH", 2)
    first, second, third = (
        load(project, text, outlet)
        for text, outlet in [(HARBOUR, "Harbour Times"), (GAZETTE, "Gazette"), (COURIER, "Courier")]
    )
    match_article(article_id=third.pk)
    assert waiting([first.pk, second.pk, third.pk]) == {second.pk}


@pytest.mark.django_db
def test_processing_an_article_again_puts_it_back_in_the_wait_for_matching(project) -> None:
    article = load(project, HARBOUR, "Harbour Times")
    match_article(article_id=article.pk)
    assert waiting([article.pk]) == set()
    Article.objects.filter(pk=article.pk).update(processing_state=ProcessingState.PENDING)
    article_process(article_id=article.pk)
    assert waiting([article.pk]) == {article.pk}


@pytest.mark.django_db(transaction=True)
def test_an_article_another_run_holds_is_left_to_that_run(project) -> None:
    # Rows made directly (no passages): processing would queue matching tasks, which a worker
    # of the test session could run meanwhile. Committed, so another connection can lock them.
    held, free = (
        ArticleFactory(
            project=project, processing_state=ProcessingState.PROCESSED, processed_at=timezone.now()
        )
        for _ in range(2)
    )
    assert waiting([held.pk, free.pk]) == {held.pk, free.pk}
    with psycopg.connect(database_url_for_tests()) as other:
        other.execute(
            "SELECT id FROM annotations_article WHERE id = %s FOR NO KEY UPDATE", [held.pk]
        )
        # The run of the held article's own task takes what it can and does not wait.
        match_article(article_id=held.pk)
        assert waiting([held.pk, free.pk]) == {held.pk}
        other.rollback()
    match_article(article_id=held.pk)
    assert waiting([held.pk, free.pk]) == set()


@pytest.mark.django_db
def test_an_article_not_yet_processed_is_not_matched(project) -> None:
    article = article_create(project=project, text=HARBOUR, outlet="Harbour Times")
    assert match_article(article_id=article.pk) == 0
    assert not MatchCandidate.objects.filter(article=article).exists()
