"""Claims with a verdict as schema.org ClaimReview (https://schema.org/ClaimReview).

The review is the project's (the desk that checked it); every mention is an `appearance` of the
claim: a CreativeWork with the article's URL, outlet as publisher, publication date and the
quoted words. The earliest dated mention is also the `firstAppearance`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from rest_framework.request import Request

from claims.models import Annotation, Claim, ClaimStatus

SCHEMA_ORG = "https://schema.org"
# Verdicts on a 1 (false) to 5 (true) scale; "unproven" has a name but no place on it.
RATING_VALUES: dict[str, int] = {
    ClaimStatus.FALSE: 1,
    ClaimStatus.MISLEADING: 2,
    ClaimStatus.MOSTLY_TRUE: 4,
    ClaimStatus.TRUE: 5,
}


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def appearance(mention: Annotation, request: Request) -> dict[str, Any]:
    article = mention.article
    work: dict[str, Any] = {
        "@type": "CreativeWork",
        "url": article.url
        or request.build_absolute_uri(reverse("api:article-detail", kwargs={"pk": article.pk})),
        "headline": article.title,
        "text": mention.exact,
    }
    if article.source is not None:
        work["publisher"] = {"@type": "Organization", "name": article.source.name}
        if article.source.url:
            work["publisher"]["url"] = article.source.url
    if article.published_at is not None:
        work["datePublished"] = _iso(article.published_at)
    if article.byline:
        work["author"] = {"@type": "Person", "name": article.byline}
    return work


def rating(claim: Claim) -> dict[str, Any]:
    value: dict[str, Any] = {
        "@type": "Rating",
        "alternateName": ClaimStatus(claim.status).label,
    }
    if claim.status in RATING_VALUES:
        value.update(ratingValue=RATING_VALUES[claim.status], bestRating=5, worstRating=1)
    return value


def claim_review(claim: Claim, request: Request) -> dict[str, Any]:
    """The ClaimReview of a claim with a verdict; its mentions must be prefetched in order."""
    mentions = list(claim.mentions.all())
    appearances = [appearance(m, request) for m in mentions]
    item: dict[str, Any] = {"@type": "Claim", "appearance": appearances}
    dated = [a for a in appearances if "datePublished" in a]
    if dated:
        item["firstAppearance"] = dated[0]
    review: dict[str, Any] = {
        "@context": SCHEMA_ORG,
        "@type": "ClaimReview",
        "@id": request.build_absolute_uri(
            reverse("api:claim-claimreview", kwargs={"pk": claim.pk})
        ),
        "url": request.build_absolute_uri(claim.get_absolute_url()),
        "claimReviewed": claim.statement,
        "datePublished": _iso(claim.updated_at),
        "author": {"@type": "Organization", "name": claim.project.name},
        "reviewRating": rating(claim),
        "itemReviewed": item,
    }
    if claim.verdict_summary:
        review["reviewBody"] = claim.verdict_summary
    return review


CLAIM_REVIEW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A schema.org ClaimReview (JSON-LD).",
    "properties": {
        "@context": {"type": "string", "enum": [SCHEMA_ORG]},
        "@type": {"type": "string", "enum": ["ClaimReview"]},
        "@id": {"type": "string", "format": "uri"},
        "url": {"type": "string", "format": "uri"},
        "claimReviewed": {"type": "string"},
        "datePublished": {"type": "string", "format": "date-time"},
        "reviewBody": {"type": "string"},
        "author": {"type": "object", "additionalProperties": True},
        "reviewRating": {
            "type": "object",
            "properties": {
                "@type": {"type": "string", "enum": ["Rating"]},
                "alternateName": {"type": "string"},
                "ratingValue": {"type": "integer"},
                "bestRating": {"type": "integer"},
                "worstRating": {"type": "integer"},
            },
            "required": ["@type", "alternateName"],
        },
        "itemReviewed": {
            "type": "object",
            "properties": {
                "@type": {"type": "string", "enum": ["Claim"]},
                "appearance": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": True},
                },
                "firstAppearance": {"type": "object", "additionalProperties": True},
            },
            "required": ["@type", "appearance"],
        },
    },
    "required": ["@context", "@type", "claimReviewed", "reviewRating", "itemReviewed"],
}
