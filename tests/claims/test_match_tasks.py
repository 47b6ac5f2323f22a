"""Matching through the real broker and a real Celery worker process: articles are processed
and matched by the worker, a marked claim is matched by the worker, and a task for a row that
no longer exists is acknowledged without harm."""

from __future__ import annotations

import pytest
from celery import current_app

from annotations.models import Article, ProcessingState
from annotations.services import article_create
from claims.matching.config import matching_config
from claims.models import Claim, MatchCandidate
from claims.services import annotation_create, claim_create
from tests.conftest import wait_for

pytestmark = pytest.mark.worker

RIVER = (
    "Engineers closed the Old Mill bridge over the Tarn river on Monday.\n"
    "The bridge has been closed for eleven days after inspectors found cracks, the county said."
)
VALLEY = (
    "Drivers face long detours in the valley.\n"
    "After inspectors found cracks, the Old Mill bridge has stayed shut for 11 days, county "
    "officials said."
)
QUOTE = "The bridge has been closed for eleven days after inspectors found cracks"


def processed(article_id: int) -> Article | None:
    article = Article.objects.get(pk=article_id)
    assert article.processing_state != ProcessingState.FAILED, article.processing_error
    return article if article.processing_state == ProcessingState.PROCESSED else None


def test_worker_proposes_a_marked_claim_in_the_other_article(worker, project) -> None:
    river = article_create(project=project, text=RIVER, outlet="River Post")
    valley = article_create(project=project, text=VALLEY, outlet="Valley News")
    wait_for(lambda: processed(river.pk), timeout=180)
    wait_for(lambda: processed(valley.pk), timeout=180)
    start = RIVER.index(QUOTE)
    claim = annotation_create(
        article=river, start=start, end=start + len(QUOTE), statement="The bridge was shut 11 days"
    ).claim
    threshold = matching_config({})["match_threshold"]

    def proposal() -> MatchCandidate | None:
        return MatchCandidate.objects.filter(
            claim=claim, article=valley, score__gte=threshold
        ).first()

    candidate = wait_for(proposal, timeout=120)
    assert VALLEY[candidate.start : candidate.end].startswith("After inspectors found cracks")
    assert candidate.signals["numbers"]["match"] == ["11 day"]
    assert Claim.objects.get(pk=claim.pk).embedding is not None


def test_worker_matches_a_new_article_against_a_tracked_claim(worker, project) -> None:
    claim = claim_create(
        project=project, statement="The Old Mill bridge has been closed for eleven days"
    )
    valley = article_create(project=project, text=VALLEY, outlet="Valley News")
    wait_for(lambda: processed(valley.pk), timeout=180)
    candidate = wait_for(
        lambda: MatchCandidate.objects.filter(claim=claim, article=valley).first(), timeout=120
    )
    assert candidate.engine_version
    assert "semantic" in candidate.signals


def test_task_for_a_deleted_claim_is_acknowledged_and_ignored(worker, project) -> None:
    claim = claim_create(project=project, statement="A claim that will be deleted at once")
    claim_pk = claim.pk
    claim.delete()
    current_app.send_task("claims.match_claim", args=[claim_pk])
    # The worker logs and returns; a following task still runs (the queue is not stuck).
    other = claim_create(project=project, statement="The Old Mill bridge reopened")
    wait_for(
        lambda: Claim.objects.filter(pk=other.pk, embedding__isnull=False).exists(), timeout=120
    )


def test_every_article_of_a_bulk_load_is_matched_whichever_task_takes_it(worker, project) -> None:
    # Matching runs take several waiting articles at once (article_matching.MATCH_BATCH); the tasks of
    # the articles taken find them matched. None may be left waiting, and each article's
    # candidates are written once.
    claim = claim_create(
        project=project, statement="The Old Mill bridge has been closed for eleven days"
    )
    texts = [
        f"{text}\nUpdate {n}: the county repeated its warning."
        for n in range(3)
        for text in (RIVER, VALLEY)
    ]
    articles = [
        article_create(project=project, text=t, outlet=f"Outlet {i}") for i, t in enumerate(texts)
    ]
    ids = [a.pk for a in articles]

    def all_matched() -> bool:
        return not Article.objects.filter(pk__in=ids, matched_at=None).exists()

    wait_for(all_matched, timeout=240)
    assert all(processed(pk) for pk in ids)
    found = set(
        MatchCandidate.objects.filter(claim=claim, article_id__in=ids).values_list(
            "article_id", flat=True
        )
    )
    assert found == set(ids)
