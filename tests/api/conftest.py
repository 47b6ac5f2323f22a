"""API fixtures: a client per persona and one small story (outlet, article, claim, mention,
candidate) in the persona project."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotations.models import Article, Project
from claims.models import Annotation, Claim, MatchCandidate
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    PassageFactory,
    SourceFactory,
)

ARTICLE_TEXT = (
    "The council approved the new bridge on Monday. Construction will take three years.\n"
    "Critics said the cost, 40 million euros, was too high. The mayor disagreed."
)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(owner: Any, editor: Any, viewer: Any, outsider: Any) -> Callable[[str], APIClient]:
    """`client_for("viewer")`: an API client logged in as that persona (or anonymous)."""
    users = {"owner": owner, "editor": editor, "viewer": viewer, "outsider": outsider}

    def make(persona: str) -> APIClient:
        client = APIClient()
        if persona != "anonymous":
            client.force_authenticate(users[persona])
        return client

    return make


@pytest.fixture
def article(project: Project) -> Article:
    source = SourceFactory(project=project, name="Gazette", domain="gazette.example")
    return ArticleFactory(
        project=project,
        source=source,
        title="Bridge approved",
        url="https://gazette.example/bridge",
        text=ARTICLE_TEXT,
        published_at=dt.datetime(2024, 3, 4, 9, 30, tzinfo=dt.UTC),
    )


@pytest.fixture
def claim(project: Project) -> Claim:
    return ClaimFactory(project=project, statement="The bridge will take three years to build.")


@pytest.fixture
def mention(article: Article, claim: Claim, editor: Any) -> Annotation:
    start = ARTICLE_TEXT.index("Construction")
    end = ARTICLE_TEXT.index("years.") + len("years.")
    return AnnotationFactory(article=article, claim=claim, start=start, end=end, author=editor)


@pytest.fixture
def candidate(article: Article, claim: Claim) -> MatchCandidate:
    start = ARTICLE_TEXT.index("Critics")
    end = ARTICLE_TEXT.index("high.") + len("high.")
    passage = PassageFactory(
        article=article, ordinal=1, start=start, end=end, text=ARTICLE_TEXT[start:end]
    )
    return MatchCandidateFactory(passage=passage, claim=claim)
