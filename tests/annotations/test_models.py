"""Database constraints hold even when code bypasses the services."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.utils import DatabaseError

from annotations.models import Passage
from claims.models import AnchorState, Annotation
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    PassageFactory,
)

pytestmark = pytest.mark.django_db


def test_a_project_holds_each_text_once(project) -> None:
    ArticleFactory(project=project, text="Same words.")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(project=project, text="Same words.")


def test_the_same_text_may_live_in_two_projects() -> None:
    ArticleFactory(text="Shared wire story.")
    ArticleFactory(text="Shared wire story.")


def test_annotation_span_must_start_before_it_ends() -> None:
    article = ArticleFactory(text="The river rose two metres.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(
            article=article, claim=ClaimFactory(project=article.project), start=5, end=5, exact="x"
        )


def test_annotation_span_must_lie_inside_the_text() -> None:
    article = ArticleFactory(text="The river rose two metres.")
    with pytest.raises(DatabaseError, match="outside the article text"), transaction.atomic():
        AnnotationFactory(article=article, start=10, end=400, exact="river")


def test_annotation_quote_must_match_the_text_at_its_position() -> None:
    article = ArticleFactory(text="The river rose two metres.")
    with pytest.raises(DatabaseError, match="does not match"), transaction.atomic():
        AnnotationFactory(article=article, start=0, end=9, exact="The ocean")


def test_orphaned_annotation_keeps_its_old_selectors() -> None:
    article = ArticleFactory(text="The river rose two metres.")
    annotation = AnnotationFactory(
        article=article, start=0, end=9, exact="The ocean", anchor_state=AnchorState.ORPHANED
    )
    assert annotation.pk is not None


def test_passage_span_must_lie_inside_the_text() -> None:
    article = ArticleFactory(text="Short.")
    with pytest.raises(DatabaseError), transaction.atomic():
        Passage.objects.create(article=article, ordinal=0, start=0, end=50, text="Short.")


def test_one_candidate_per_claim_and_passage() -> None:
    candidate = MatchCandidateFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchCandidateFactory(
            passage=candidate.passage, claim=candidate.claim, project=candidate.project
        )


def test_candidate_needs_exactly_one_target() -> None:
    candidate = MatchCandidateFactory()
    other = ClaimFactory(project=candidate.project)
    candidate.target_claim = other
    with pytest.raises(IntegrityError), transaction.atomic():
        candidate.save()


def test_str_says_what_each_row_is() -> None:
    annotation = AnnotationFactory(article=ArticleFactory(title="Flood report"))
    passage = PassageFactory(article=annotation.article)
    assert "Flood report" in str(annotation.article)
    assert annotation.exact[:10] in str(annotation)
    assert str(annotation.claim) == annotation.claim.statement[:100]
    assert str(passage).startswith(f"{passage.article_id}#")
