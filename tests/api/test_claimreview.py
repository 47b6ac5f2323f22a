"""Claims with a verdict as schema.org ClaimReview JSON-LD."""

from __future__ import annotations

import datetime as dt

from tests.factories import AnnotationFactory, ArticleFactory, ClaimFactory, SourceFactory


def test_claim_with_a_verdict_is_a_claimreview_with_every_mention_an_appearance(
    client_for, project, article, claim, mention
) -> None:
    herald = SourceFactory(project=project, name="Herald")
    later = ArticleFactory(
        project=project,
        source=herald,
        url="https://herald.example/bridge",
        text="Herald reports the bridge will take three years to build.",
        published_at=dt.datetime(2024, 4, 1, tzinfo=dt.UTC),
    )
    AnnotationFactory(article=later, claim=claim, start=0, end=6)
    client = client_for("editor")
    client.patch(
        f"/api/claims/{claim.pk}/",
        {"status": "mostly_true", "verdict_summary": "About three years."},
        format="json",
    )
    response = client_for("viewer").get(f"/api/claims/{claim.pk}/claimreview/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    review = response.json()
    assert (review["@context"], review["@type"]) == ("https://schema.org", "ClaimReview")
    assert review["claimReviewed"] == claim.statement
    assert review["reviewBody"] == "About three years."
    assert review["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Mostly true",
        "ratingValue": 4,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert review["author"] == {"@type": "Organization", "name": project.name}
    first, second = review["itemReviewed"]["appearance"]
    assert first == {
        "@type": "CreativeWork",
        "url": "https://gazette.example/bridge",
        "headline": "Bridge approved",
        "text": mention.exact,
        "publisher": {"@type": "Organization", "name": "Gazette"},
        "datePublished": "2024-03-04T09:30:00Z",
    }
    assert (second["publisher"]["name"], second["text"]) == ("Herald", "Herald")
    assert review["itemReviewed"]["firstAppearance"] == first
    assert review["url"].endswith(f"/claims/{claim.pk}/")


def test_claim_without_a_verdict_has_no_claimreview(client_for, claim) -> None:
    client = client_for("viewer")
    response = client.get(f"/api/claims/{claim.pk}/claimreview/")
    assert response.status_code == 404
    assert "no verdict yet" in response.json()["detail"]
    negotiated = client.get(f"/api/claims/{claim.pk}/", HTTP_ACCEPT="application/ld+json")
    assert negotiated.status_code == 406
    assert negotiated["Content-Type"] == "application/json"


def test_accept_ld_json_on_a_claim_with_a_verdict_answers_its_claimreview(
    client_for, project
) -> None:
    claim = ClaimFactory(project=project, status="false")
    response = client_for("viewer").get(
        f"/api/claims/{claim.pk}/", HTTP_ACCEPT="application/ld+json"
    )
    assert response.json()["@type"] == "ClaimReview"
    assert response.json()["reviewRating"]["ratingValue"] == 1


def test_claimreviews_lists_only_claims_with_a_verdict(client_for, project, claim) -> None:
    unproven = ClaimFactory(project=project, status="unproven")
    ClaimFactory(project=project, status="in_progress")
    page = client_for("viewer").get("/api/claims/claimreviews/").json()
    assert [r["claimReviewed"] for r in page["results"]] == [unproven.statement]
    assert "ratingValue" not in page["results"][0]["reviewRating"]
