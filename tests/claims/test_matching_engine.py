"""The engine in-process: proposals, idempotent re-runs, editors' decisions, claim links.

Articles are processed by calling the service directly (segmentation + embeddings), the way a
worker would, so no broker is involved here; tests/claims/test_match_tasks.py covers that.
"""

from __future__ import annotations

import pytest

from annotations.models import Article
from annotations.services import article_create, article_process
from claims.matching import match_article, match_claim
from claims.matching.config import matching_config
from claims.models import CandidateState, ClaimOrigin, MatchCandidate
from claims.services import annotation_create, candidate_reject, claim_create

HARBOUR = (
    "The Harbour Council voted on Tuesday to close the Dunmore ferry terminal.\n"
    "The strike by ferry workers has lasted nine weeks, union leader Anna Kowalski said.\n"
    "Repairs to the old pier will cost 4 million euros, the council estimated."
)
GAZETTE = (
    "Ferry workers in Dunmore have now been on strike for 9 weeks, according to union chief "
    "Anna Kowalsky.\n"
    "A separate strike by airport staff in Brennport lasted six weeks last year.\n"
    "Tourism in the region fell sharply over the summer."
)
CLAIM_QUOTE = "The strike by ferry workers has lasted nine weeks"


def load(project, text: str, outlet: str) -> Article:  # type: ignore[no-untyped-def]
    article = article_create(project=project, text=text, outlet=outlet)
    article_process(article_id=article.pk)
    return article


@pytest.fixture
def articles(project):  # type: ignore[no-untyped-def]
    return load(project, HARBOUR, "Harbour Times"), load(project, GAZETTE, "Coast Gazette")


def mark_claim(article: Article):  # type: ignore[no-untyped-def]
    start = HARBOUR.index(CLAIM_QUOTE)
    return annotation_create(
        article=article,
        start=start,
        end=start + len(CLAIM_QUOTE),
        statement="The ferry workers' strike has lasted nine weeks",
    ).claim


def rows(claim) -> list[tuple]:  # type: ignore[no-untyped-def]
    return list(
        MatchCandidate.objects.filter(claim=claim)
        .order_by("pk")
        .values_list("pk", "passage_id", "start", "end", "score", "state", "engine_version")
    )


def test_marked_claim_is_proposed_in_the_other_article_with_its_signals(articles) -> None:
    harbour, gazette = articles
    claim = mark_claim(harbour)
    match_claim(claim_id=claim.pk)
    threshold = matching_config({})["match_threshold"]
    best = MatchCandidate.objects.filter(claim=claim, article=gazette).order_by("-score").first()
    assert best is not None and best.score >= threshold
    assert GAZETTE[best.start : best.end].startswith("Ferry workers in Dunmore")
    assert best.signals["numbers"]["match"] == ["9 week"]
    assert best.signals["semantic"] > 0.5
    assert best.engine_version


def test_a_different_number_is_shown_as_evidence_against_and_not_proposed(articles) -> None:
    harbour, gazette = articles
    claim = mark_claim(harbour)
    match_claim(claim_id=claim.pk)
    start = GAZETTE.index("A separate strike")
    decoy = MatchCandidate.objects.filter(claim=claim, article=gazette, start__gte=start).first()
    if decoy is not None:  # stored for ranking only, below the threshold
        assert decoy.score < matching_config({})["match_threshold"]
        assert decoy.signals["numbers"]["conflict"]
        assert decoy.signals["contributions"]["numbers"] < 0


def test_the_marked_span_itself_is_never_proposed(articles) -> None:
    harbour, _ = articles
    claim = mark_claim(harbour)
    match_claim(claim_id=claim.pk)
    mention = claim.mentions.get()
    overlapping = MatchCandidate.objects.filter(
        claim=claim, article=harbour, start__lt=mention.end, end__gt=mention.start
    )
    assert not overlapping.exists()


def test_running_the_matcher_twice_gives_the_same_rows_without_duplicates(articles) -> None:
    claim = mark_claim(articles[0])
    match_claim(claim_id=claim.pk)
    first = rows(claim)
    match_claim(claim_id=claim.pk)
    match_article(article_id=articles[1].pk)
    assert rows(claim) == first
    assert len({r[1] for r in first}) == len(first)


def test_rejected_pair_is_never_proposed_again_and_is_not_modified(articles) -> None:
    claim = mark_claim(articles[0])
    match_claim(claim_id=claim.pk)
    proposed = MatchCandidate.objects.filter(claim=claim).order_by("-score").first()
    assert proposed is not None
    candidate = candidate_reject(candidate=proposed, actor=None)
    before = MatchCandidate.objects.filter(pk=candidate.pk).values().get()
    match_claim(claim_id=claim.pk)
    assert candidate.article_id is not None  # a passage candidate
    match_article(article_id=candidate.article_id)
    after = MatchCandidate.objects.filter(pk=candidate.pk).values().get()
    assert after == before
    assert after["state"] == CandidateState.REJECTED
    assert MatchCandidate.objects.filter(claim=claim, passage=candidate.passage).count() == 1


def test_tracked_claim_is_found_when_a_new_article_arrives(project) -> None:
    claim = claim_create(
        project=project,
        statement="Ferry workers in Dunmore have been on strike for nine weeks",
        origin=ClaimOrigin.TRACKED,
    )
    match_claim(claim_id=claim.pk)  # no article yet: nothing to propose
    assert not MatchCandidate.objects.filter(claim=claim).exists()
    gazette = load(project, GAZETTE, "Coast Gazette")
    match_article(article_id=gazette.pk)
    best = MatchCandidate.objects.filter(claim=claim).order_by("-score").first()
    assert best is not None and best.signals["proposed"]
    assert GAZETTE[best.start : best.end].startswith("Ferry workers")


def test_project_threshold_overrides_the_default(articles) -> None:
    project = articles[0].project
    # a bias far above any evidence: no pair can score near 1 under these weights
    project.matching_settings = {"match_threshold": 0.99, "weights": {"bias": 100.0}}
    project.save()
    claim = mark_claim(articles[0])
    match_claim(claim_id=claim.pk)
    assert matching_config(project.matching_settings)["match_threshold"] == 0.99
    assert not MatchCandidate.objects.filter(claim=claim, score__gte=0.99).exists()


def test_near_duplicate_tracked_claims_are_proposed_as_the_same_claim(project) -> None:
    first = claim_create(project=project, statement="The Dunmore ferry strike lasted nine weeks")
    second = claim_create(project=project, statement="The ferry strike in Dunmore lasted 9 weeks")
    other = claim_create(project=project, statement="The Dunmore ferry strike lasted six weeks")
    for claim in (first, second, other):
        match_claim(claim_id=claim.pk)
    links = MatchCandidate.objects.filter(target_claim__isnull=False)
    pairs = {frozenset((c.claim_id, c.target_claim_id)) for c in links}
    assert frozenset((first.pk, second.pk)) in pairs
    assert frozenset((first.pk, other.pk)) not in pairs
    assert links.count() == len(pairs)


def test_missing_claim_or_article_is_ignored(db) -> None:
    assert match_claim(claim_id=987654) == 0
    assert match_article(article_id=987654) == 0
