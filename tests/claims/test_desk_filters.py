"""Search and filters on the project page, the claim list and the review queue: each filter
narrows the list, the query lives in the URL, bad values get a message (never a 500), and
outsiders see nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from claims.claim_list_views import CLAIMS_PER_PAGE
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    PassageFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

BRIDGE = "The new bridge will take three years to build, the minister said."
HARBOUR = "The harbour budget doubled after the storms, auditors found."


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk(project) -> dict[str, Any]:
    """Two outlets, one article each (with its passage), one claim mentioned in each, and a
    proposal of each claim in the other outlet's article."""
    herald = SourceFactory(project=project, name="Herald")
    gazette = SourceFactory(project=project, name="Gazette")
    bridge_article = ArticleFactory(
        project=project,
        source=herald,
        title="Bridge delays",
        text=BRIDGE,
        published_at=dt.datetime(2024, 1, 5, 8, 0, tzinfo=dt.UTC),
    )
    harbour_article = ArticleFactory(
        project=project,
        source=gazette,
        title="Harbour money",
        text=HARBOUR,
        published_at=dt.datetime(2024, 3, 10, 12, 0, tzinfo=dt.UTC),
    )
    bridge_passage = PassageFactory(article=bridge_article, start=0, end=len(BRIDGE), text=BRIDGE)
    harbour_passage = PassageFactory(
        article=harbour_article, start=0, end=len(HARBOUR), text=HARBOUR
    )
    bridge = ClaimFactory(
        project=project,
        statement="The bridge takes three years to build.",
        status="true",
        tags=["infrastructure"],
    )
    harbour = ClaimFactory(
        project=project,
        statement="The harbour budget doubled.",
        status="mostly_true",
        tags=["budget"],
    )
    AnnotationFactory(article=bridge_article, claim=bridge, start=4, end=14)
    AnnotationFactory(article=harbour_article, claim=harbour, start=4, end=24)
    # Each claim proposed in the other outlet's article: Gazette carries the bridge proposal.
    bridge_proposal = MatchCandidateFactory(passage=harbour_passage, claim=bridge, score=0.9)
    harbour_proposal = MatchCandidateFactory(passage=bridge_passage, claim=harbour, score=0.5)
    return {
        "herald": herald,
        "gazette": gazette,
        "bridge_article": bridge_article,
        "harbour_article": harbour_article,
        "bridge": bridge,
        "harbour": harbour,
        "bridge_proposal": bridge_proposal,
        "harbour_proposal": harbour_proposal,
    }


def shown(response, *ids: str) -> list[bool]:
    content = response.content.decode()
    return [f'id="{i}"' in content for i in ids]


def project_url(project) -> str:
    return reverse("project-detail", args=[project.slug])


# --- The project page ---------------------------------------------------------------------


def test_project_search_narrows_articles_and_claims_by_words(viewer, project, desk) -> None:
    client = client_of(viewer)
    ids = [f"article-{desk['bridge_article'].pk}", f"article-{desk['harbour_article'].pk}"]
    response = client.get(project_url(project), {"q": "harbour"})
    assert response.status_code == 200
    assert shown(response, *ids) == [False, True]
    content = response.content.decode()
    assert desk["harbour"].statement in content
    assert desk["bridge"].statement not in content
    # Stemmed full-text search: "storm" finds "storms" in the article text, not the title.
    assert shown(client.get(project_url(project), {"q": "storm"}), *ids) == [False, True]


def test_project_outlet_and_date_filters_narrow_both_lists(viewer, project, desk) -> None:
    client = client_of(viewer)
    ids = [f"article-{desk['bridge_article'].pk}", f"article-{desk['harbour_article'].pk}"]
    by_outlet = client.get(project_url(project), {"source": desk["herald"].pk})
    assert shown(by_outlet, *ids) == [True, False]
    assert desk["harbour"].statement not in by_outlet.content.decode()
    # The "to" date includes its whole day; "from" starts at midnight.
    january = client.get(
        project_url(project), {"published_after": "2024-01-01", "published_before": "2024-01-05"}
    )
    assert shown(january, *ids) == [True, False]
    assert desk["bridge"].statement in january.content.decode()
    assert desk["harbour"].statement not in january.content.decode()


def test_project_status_and_tag_filters_narrow_the_claims(viewer, project, desk) -> None:
    client = client_of(viewer)
    by_status = client.get(project_url(project), {"status": "mostly_true"}).content.decode()
    assert desk["harbour"].statement in by_status
    assert desk["bridge"].statement not in by_status
    by_tag = client.get(project_url(project), {"tag": "infrastructure"}).content.decode()
    assert desk["bridge"].statement in by_tag
    assert desk["harbour"].statement not in by_tag


def test_empty_form_fields_are_no_filter(viewer, project, desk) -> None:
    params = {"q": "", "source": "", "status": "", "tag": "", "published_after": ""}
    response = client_of(viewer).get(project_url(project), params)
    assert response.status_code == 200
    assert "not applied" not in response.content.decode()
    ids = [f"article-{desk['bridge_article'].pk}", f"article-{desk['harbour_article'].pk}"]
    assert shown(response, *ids) == [True, True]


@pytest.mark.parametrize(
    "params",
    [
        {"published_after": "2026-13-45"},
        {"published_before": "yesterday"},
        {"source": "abc"},
        {"status": "bogus"},
        {"q": "bridge\x00"},
        {"q": "x" * 500},
    ],
)
def test_bad_filter_values_get_a_message_not_a_500(viewer, project, desk, params) -> None:
    response = client_of(viewer).get(project_url(project), params)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Some filters were not applied" in content
    assert 'role="alert"' in content


def test_the_search_form_keeps_its_values_and_the_polled_table_keeps_the_query(
    viewer, project, desk
) -> None:
    desk["harbour_article"].processing_state = "processing"
    desk["harbour_article"].save(update_fields=["processing_state"])
    response = client_of(viewer).get(project_url(project), {"q": "harbour"})
    content = response.content.decode()
    assert 'name="q" value="harbour"' in content
    assert f"/projects/{project.slug}/articles/?q=harbour" in content  # htmx polling URL
    table = client_of(viewer).get(
        reverse("project-articles", args=[project.slug]), {"q": "harbour"}
    )
    assert shown(table, f"article-{desk['bridge_article'].pk}") == [False]


def test_outsiders_get_404_for_searched_pages(outsider, project, desk) -> None:
    client = client_of(outsider)
    for name in ("project-detail", "claim-list", "review-queue"):
        response = client.get(reverse(name, args=[project.slug]), {"q": "bridge"})
        assert response.status_code == 404, name


# --- The claim list -----------------------------------------------------------------------


def test_claim_list_filters_and_carries_them_to_the_export_links(viewer, project, desk) -> None:
    client = client_of(viewer)
    url = reverse("claim-list", args=[project.slug])
    ids = [f"claim-{desk['bridge'].pk}", f"claim-{desk['harbour'].pk}"]
    assert shown(client.get(url), *ids) == [True, True]
    assert shown(client.get(url, {"q": "bridges"}), *ids) == [True, False]
    assert shown(client.get(url, {"source": desk["gazette"].pk}), *ids) == [False, True]
    assert shown(client.get(url, {"status": "true"}), *ids) == [True, False]
    assert shown(client.get(url, {"tag": "budget"}), *ids) == [False, True]
    assert shown(client.get(url, {"published_after": "2024-02-01"}), *ids) == [False, True]
    content = client.get(url, {"q": "bridge", "status": "true"}).content.decode()
    assert f"/api/claims/export/?q=bridge&amp;status=true&amp;project={project.pk}" in content
    assert "format=xlsx" in content and "format=json" in content
    assert f"/api/claims/export/mentions/?q=bridge&amp;status=true&amp;project={project.pk}" in (
        content
    )


def test_claim_list_pages_keep_the_query(viewer, project, desk) -> None:
    for n in range(CLAIMS_PER_PAGE + 5):
        ClaimFactory(project=project, statement=f"Bridge claim number {n}")
    url = reverse("claim-list", args=[project.slug])
    first = client_of(viewer).get(url, {"q": "bridge"})
    assert first.status_code == 200
    assert "?q=bridge&amp;page=2" in first.content.decode()
    second = client_of(viewer).get(url, {"q": "bridge", "page": "2"})
    assert "Page 2 of 2" in second.content.decode()
    assert desk["harbour"].statement not in second.content.decode()
    # A page past the end or not a number shows a page, not an error.
    assert client_of(viewer).get(url, {"q": "bridge", "page": "abc"}).status_code == 200


def test_claim_list_refuses_a_bad_date_with_a_message(viewer, project, desk) -> None:
    url = reverse("claim-list", args=[project.slug])
    response = client_of(viewer).get(url, {"published_before": "2026-13-45", "tag": "budget"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "Mentioned in an article published on or before" in content
    # The valid filters still apply.
    assert desk["harbour"].statement in content
    assert desk["bridge"].statement not in content


# --- The review queue ---------------------------------------------------------------------


def test_review_queue_filters_by_words_outlet_and_score(viewer, project, desk) -> None:
    client = client_of(viewer)
    url = reverse("review-queue", args=[project.slug])
    ids = [f"candidate-{desk['bridge_proposal'].pk}", f"candidate-{desk['harbour_proposal'].pk}"]
    assert shown(client.get(url), *ids) == [True, True]
    assert shown(client.get(url, {"q": "harbour"}), *ids) == [True, True]  # claim or passage
    assert shown(client.get(url, {"q": "minister"}), *ids) == [False, True]
    assert shown(client.get(url, {"source": desk["gazette"].pk}), *ids) == [True, False]
    assert shown(client.get(url, {"score_min": "0.8"}), *ids) == [True, False]
    narrowed = client.get(url, {"score_max": "0.6"})
    assert shown(narrowed, *ids) == [False, True]
    assert "1 of them match the search" in narrowed.content.decode()


@pytest.mark.parametrize("params", [{"score_min": "abc"}, {"score_max": "1e"}, {"source": "-3"}])
def test_review_queue_bad_values_get_a_message(viewer, project, desk, params) -> None:
    response = client_of(viewer).get(reverse("review-queue", args=[project.slug]), params)
    assert response.status_code == 400
    assert "Some filters were not applied" in response.content.decode()


def test_api_candidates_filter_by_score_range_and_reviewer(editor, project, desk) -> None:
    from claims.services import candidate_reject

    candidate_reject(candidate=desk["harbour_proposal"], actor=editor)
    client = client_of(editor)
    ranged = client.get("/api/candidates/", {"score_min": "0.4", "score_max": "0.6"}).json()
    assert [c["id"] for c in ranged["results"]] == [desk["harbour_proposal"].pk]
    decided = client.get("/api/candidates/", {"reviewer": editor.pk}).json()
    assert [c["id"] for c in decided["results"]] == [desk["harbour_proposal"].pk]
    assert client.get("/api/candidates/", {"score_min": "abc"}).status_code == 400


@pytest.mark.parametrize("value", ["1e999999", "-1e999999", "NaN", "Infinity"])
def test_review_queue_survives_extreme_scores(viewer, project, desk, value) -> None:
    url = reverse("review-queue", args=[project.slug])
    response = client_of(viewer).get(url, {"score_min": value})
    assert response.status_code in (200, 400)


def test_the_api_claim_list_searches_with_the_same_filter(viewer, project, desk) -> None:
    found = client_of(viewer).get("/api/claims/", {"q": "harbours"}).json()["results"]
    assert [c["id"] for c in found] == [desk["harbour"].pk]


def test_a_to_date_stays_as_typed_in_page_links_and_covers_its_day_in_exports(
    viewer, project, desk
) -> None:
    url = reverse("claim-list", args=[project.slug])
    content = client_of(viewer).get(url, {"published_before": "2024-01-05"}).content.decode()
    assert 'name="published_before" value="2024-01-05"' in content
    assert "published_before=2024-01-05T23%3A59%3A59" in content  # the export links
    assert desk["bridge"].statement in content  # published 08:00 that day
