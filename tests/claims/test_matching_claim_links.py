"""match_claim proposes, in one run on the caller's connection, both the passages that state
the claim and the tracked claims it repeats (claims.matching.engine.claim_link_rows)."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.utils import timezone

from annotations.models import Article, ProcessingState
from annotations.services import article_process
from claims.matching import match_claim
from claims.matching.queries import claims_index
from claims.models import MatchCandidate
from tests.claims.test_matching_engine import CLAIM_QUOTE, GAZETTE, HARBOUR
from tests.factories import AnnotationFactory, ArticleFactory, ClaimFactory


def candidates(claim_id: int) -> list[tuple[object, ...]]:
    mine = MatchCandidate.objects.filter(Q(claim_id=claim_id) | Q(target_claim_id=claim_id))
    rows = mine.values_list("passage_id", "claim_id", "start", "end", "score", "signals")
    return sorted(((*row[:4], round(row[4], 5), row[5]) for row in rows), key=lambda r: repr(r[:4]))


@pytest.mark.django_db(transaction=True)
def test_a_claim_gets_its_passages_and_its_link_to_a_tracked_claim_in_one_run(project) -> None:
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

    written = match_claim(claim_id=claim.pk)
    first = candidates(claim.pk)
    assert written == len(first)
    assert {r[0] for r in first if r[0]} & set(gazette.passages.values_list("pk", flat=True))
    assert [r[1] for r in first if not r[0]] == [tracked.pk], "the claim link is proposed"
    # A re-run updates the pending rows in place: the same candidates, nothing added.
    assert match_claim(claim_id=claim.pk) == written
    assert candidates(claim.pk) == first
