"""Reads for the editor's desk pages (project page, claim list, review queue) with their filters.

Each page binds the API's own FilterSet (claims/api/filters.py, annotations/api/filters.py) to
its GET form, so a page, its export links and the API narrow a list the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse

from annotations.api.filters import ArticleFilter
from annotations.models import Article, Project, Source
from annotations.permissions import AnyUser
from claims import selectors
from claims.api.filters import CandidateFilter, ClaimFilter
from claims.matching.config import proposal_threshold
from claims.models import CandidateState, Claim, ClaimStatus, MatchCandidate
from common import filtering

# Export formats offered beside a claim list: (label, format, table).
EXPORTS = (
    ("CSV", "csv", "claims"),
    ("Excel", "xlsx", "claims"),
    ("JSON", "json", "claims"),
    ("Mentions (CSV)", "csv", "mentions"),
    ("Mentions (Excel)", "xlsx", "mentions"),
)


@dataclass
class DeskFilters:
    """What a page's filter form shows: the values, the choices and what was refused."""

    query: QueryDict  # the non-empty filters of the URL as typed, for links back to the page
    errors: list[str]
    outlets: list[Source]
    statuses: list[tuple[str, str]] = field(default_factory=lambda: list(ClaimStatus.choices))

    @property
    def active(self) -> bool:
        return bool(self.query)


def _desk(project: Project, params: QueryDict, errors: list[str]) -> DeskFilters:
    outlets = list(Source.objects.filter(project=project).only("pk", "name").order_by("name"))
    query = filtering.page_query(params, whole_days=False)
    return DeskFilters(query=query, errors=errors, outlets=outlets)


def project_page(
    *, user: AnyUser, project: Project, params: QueryDict
) -> tuple[QuerySet[Article], QuerySet[Claim], DeskFilters]:
    """The project page's articles and claims, both narrowed by the one search form."""
    articles = filtering.bind(
        ArticleFilter, params, selectors.article_list(user=user, project=project)
    )
    claims = filtering.bind(ClaimFilter, params, selectors.claim_list(user=user, project=project))
    desk = _desk(project, params, filtering.errors(articles, claims))
    return articles.qs, claims.qs, desk


def article_table(*, user: AnyUser, project: Project, params: QueryDict) -> QuerySet[Article]:
    """The project page's articles alone (the polled table): the same filters, no form."""
    articles = selectors.article_list(user=user, project=project)
    return filtering.bind(ArticleFilter, params, articles).qs


def claim_page(
    *, user: AnyUser, project: Project, params: QueryDict
) -> tuple[QuerySet[Claim], DeskFilters]:
    claims = filtering.bind(ClaimFilter, params, selectors.claim_list(user=user, project=project))
    return claims.qs, _desk(project, params, filtering.errors(claims))


def review_filter(*, project: Project, params: QueryDict) -> tuple[CandidateFilter, DeskFilters]:
    """The review queue's filters, validated; the queue selector narrows by them."""
    candidates = filtering.bind(CandidateFilter, params, MatchCandidate.objects.none())
    return candidates, _desk(project, params, filtering.errors(candidates))


def pending_matching(*, project: Project, candidates: CandidateFilter) -> int:
    """Proposals waiting for review that the queue's filters let through."""
    pending = MatchCandidate.objects.filter(
        project=project,
        state=CandidateState.PENDING,
        score__gte=proposal_threshold(project.matching_settings),
    )
    return filtering.narrowed(candidates, pending).count()


def export_links(*, project: Project, desk: DeskFilters) -> list[tuple[str, str]]:
    """(label, URL) of each export of the claim table, carrying the page's valid filters."""
    query = filtering.page_query(desk.query)  # the API reads "before" dates as given
    query["project"] = str(project.pk)
    links = []
    for label, fmt, table in EXPORTS:
        name = "api:claim-export" if table == "claims" else "api:claim-export-mentions"
        query["format"] = fmt
        links.append((label, f"{reverse(name)}?{query.urlencode()}"))
    return links
