"""The reader: an article's text with its claims highlighted, the claims beside it, and its
processing and matching state.

Views parse, call one service or selector, and render. Roles are checked by the selectors
(outsiders: 404) and by has_role (viewers read, editors mark).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from annotations import selectors as annotation_selectors
from annotations.models import Article, Role
from annotations.permissions import has_role
from claims import highlights, reader_markup, selectors
from claims.models import AnchorState, Annotation, ClaimKind, ClaimStatus, Stance
from common.http import AuthedRequest

# After processing, matching runs; the reader keeps refreshing the proposal count until the
# article is matched, or for this long at most (a worker that is down stops the polling).
MATCHING_WINDOW = dt.timedelta(seconds=60)


def _claims_of(mentions: list[Annotation]) -> list[dict[str, Any]]:
    """The reader's side panel: each claim once, in order of its first mention, with them all."""
    by_claim: dict[int, dict[str, Any]] = {}
    for mention in mentions:
        entry = by_claim.setdefault(mention.claim_id, {"claim": mention.claim, "mentions": []})
        entry["mentions"].append(mention)
    return list(by_claim.values())


def _marks_context(request: AuthedRequest, article: Article) -> dict[str, Any]:
    mentions = list(selectors.article_mentions(article=article))
    segments, claims = highlights.segments(article.text, mentions), _claims_of(mentions)
    colours = highlights.claim_colours(entry["claim"].pk for entry in claims)
    highlights.colour_segments(segments, colours)
    for entry in claims:
        entry["colour"] = colours[entry["claim"].pk]  # its swatch in the legend
    return {
        "article": article,
        "text_markup": reader_markup.segments_markup(segments),
        "claims": claims,
        "claims_markup": reader_markup.side_claims_markup(claims),
        "orphaned": [m for m in mentions if m.anchor_state == AnchorState.ORPHANED],
    }


def _state_context(article: Article) -> dict[str, Any]:
    matching = bool(
        article.processed_at
        and article.matched_at is None
        and timezone.now() - article.processed_at < MATCHING_WINDOW
    )
    return {
        "article": article,
        "polling": annotation_selectors.article_is_active(article) or matching,
        "pending_count": selectors.pending_candidate_count(
            project=article.project, article=article
        ),
    }


@login_required
def article_read(request: AuthedRequest, pk: int) -> HttpResponse:
    article = annotation_selectors.article_get(user=request.user, pk=pk)
    context = {
        **_marks_context(request, article),
        **_state_context(article),
        "project": article.project,
        "can_mark": has_role(request.user, article.project, Role.EDITOR),
        "kinds": ClaimKind.choices,
        "statuses": ClaimStatus.choices,
        "stances": Stance.choices,
    }
    return render(request, "annotations/article_read.html", context)


@login_required
def article_marks(request: AuthedRequest, pk: int) -> HttpResponse:
    """The text with its highlights and the claims panel, swapped in after a mark is saved."""
    article = annotation_selectors.article_get(user=request.user, pk=pk)
    return render(request, "annotations/_article_marks.html", _marks_context(request, article))


@login_required
def article_state(request: AuthedRequest, pk: int) -> HttpResponse:
    """The processing badge alone: polled while the article is processed and matched."""
    article = annotation_selectors.article_get(user=request.user, pk=pk)
    return render(request, "annotations/_article_state.html", _state_context(article))
