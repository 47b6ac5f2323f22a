"""Reads for the browser pages of claims and candidates, scoped to the user's projects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django_filters import FilterSet

from annotations.models import Article, Project, Source
from annotations.permissions import AnyUser, projects_for
from claims.matching.config import proposal_threshold
from claims.models import Alias, Annotation, CandidateState, Claim, ClaimRelation, MatchCandidate
from common.errors import ApplicationError, NotFound

MSG_CLAIM_NOT_FOUND = "Claim not found."
MSG_SEARCH_NUL = "The search contains a NUL character; type words to search for."


def claim_get(*, user: AnyUser, pk: int) -> Claim:
    claim = (
        Claim.objects.filter(project__in=projects_for(user), pk=pk)
        .select_related("project")
        .first()
    )
    if claim is None:
        raise NotFound(MSG_CLAIM_NOT_FOUND)
    return claim


# --- Browser UI reads (claim page, reader search, review queue, matrix) ----------------------

MSG_CANDIDATE_NOT_FOUND = "Candidate not found."
MSG_MENTION_NOT_FOUND = "Mention not found."
# Search-as-you-type answers this many claims: more do not fit the reader's popover.
CLAIM_SEARCH_LIMIT = 10
# Candidates per review-queue page load; decisions happen in place, a reload brings the next.
REVIEW_QUEUE_LIMIT = 50
# Large columns no list page shows; deferred so a list does not drag vectors and full texts.
_CANDIDATE_HEAVY = (
    "article__text",
    "passage__embedding",
    "passage__search_vector",
    "claim__embedding",
    "claim__search_vector",
    "target_claim__embedding",
    "target_claim__search_vector",
)


def claim_list(*, user: AnyUser, project: Project) -> QuerySet[Claim]:
    """A project's claims with their numbers of mentions and outlets, newest first."""
    return (
        Claim.objects.filter(project__in=projects_for(user), project=project)
        .defer("embedding", "search_vector")
        .annotate(
            mention_count=Count("mentions", distinct=True),
            source_count=Count("mentions__article__source", distinct=True),
        )
        .order_by("-created_at", "-pk")
    )


def claim_search(
    *, user: AnyUser, project: Project, query: str, limit: int = CLAIM_SEARCH_LIMIT
) -> list[Claim]:
    """Claims whose statement contains every word typed (search-as-you-type in the reader)."""
    if "\x00" in query:  # PostgreSQL refuses NUL in a query parameter
        raise ApplicationError(MSG_SEARCH_NUL)
    words = query.split()[:8]
    if not words:
        return []
    claims = claim_list(user=user, project=project)
    for word in words:
        claims = claims.filter(statement__icontains=word)
    return list(claims[:limit])


def claim_mentions(*, claim: Claim) -> QuerySet[Annotation]:
    """A claim's mentions across sources, earliest publication first."""
    return (
        Annotation.objects.filter(claim=claim)
        .select_related("article__source")
        .defer("article__text")
        .order_by(F("article__published_at").asc(nulls_last=True), "article_id", "start")
    )


def claim_relations(*, claim: Claim) -> QuerySet[ClaimRelation]:
    """Relations from and to the claim, with both claims loaded."""
    return (
        ClaimRelation.objects.filter(Q(source_claim=claim) | Q(target_claim=claim))
        .select_related("source_claim", "target_claim")
        .defer(
            "source_claim__embedding",
            "source_claim__search_vector",
            "target_claim__embedding",
            "target_claim__search_vector",
        )
        .order_by("kind", "pk")
    )


def claim_pending_candidates(*, claim: Claim) -> QuerySet[MatchCandidate]:
    return (
        MatchCandidate.objects.filter(
            claim=claim,
            state=CandidateState.PENDING,
            score__gte=proposal_threshold(claim.project.matching_settings),
        )
        .select_related("passage", "article__source", "target_claim")
        .defer(*(f for f in _CANDIDATE_HEAVY if not f.startswith("claim__")))
        .order_by("-score", "pk")
    )


def claim_choices(*, claim: Claim) -> QuerySet[Claim]:
    """The other claims of the project, for the merge and relate pickers."""
    return (
        Claim.objects.filter(project_id=claim.project_id)
        .exclude(pk=claim.pk)
        .only("pk", "statement")
        .order_by("statement")
    )


def claim_history(*, claim: Claim, limit: int = 50) -> list[object]:
    """The claim's saved versions, newest first, with who made them."""
    return list(claim.history.select_related("history_user").order_by("-history_id")[:limit])


def mention_get(*, user: AnyUser, pk: int) -> Annotation:
    mention = (
        Annotation.objects.filter(article__project__in=projects_for(user), pk=pk)
        .select_related("article__project", "claim")
        .defer("article__text")
        .first()
    )
    if mention is None:
        raise NotFound(MSG_MENTION_NOT_FOUND)
    return mention


def candidate_get(*, user: AnyUser, pk: int) -> MatchCandidate:
    candidate = (
        MatchCandidate.objects.filter(project__in=projects_for(user), pk=pk)
        .select_related("project", "claim", "passage", "article")
        .first()
    )
    if candidate is None:
        raise NotFound(MSG_CANDIDATE_NOT_FOUND)
    return candidate


def pending_candidate_count(*, project: Project, article: Article | None = None) -> int:
    """Proposals waiting for review in the project (or in one of its articles)."""
    pending = MatchCandidate.objects.filter(
        project=project,
        state=CandidateState.PENDING,
        score__gte=proposal_threshold(project.matching_settings),
    )
    if article is not None:
        pending = pending.filter(article=article)
    return pending.count()


def review_queue(
    *,
    user: AnyUser,
    project: Project,
    limit: int = REVIEW_QUEUE_LIMIT,
    filters: FilterSet | None = None,
) -> list[MatchCandidate]:
    """Pending candidates, best score first, each with the claim's first mention beside it.

    The first mention (quote, outlet, article) comes from subqueries, so the page costs the
    same few queries however many candidates it shows. `filters`, a validated CandidateFilter,
    narrows the queue as the API's candidate list is narrowed.
    """
    first = Annotation.objects.filter(claim=OuterRef("claim")).order_by("created_at", "pk")
    pending = MatchCandidate.objects.filter(
        project__in=projects_for(user),
        project=project,
        state=CandidateState.PENDING,
        # Lower-scored candidates are kept for ranking only; editors review proposals.
        score__gte=proposal_threshold(project.matching_settings),
    )
    if filters is not None:
        pending = filters.filter_queryset(pending)
    queue = (
        pending.select_related("claim", "passage", "article__source", "target_claim")
        .defer(*_CANDIDATE_HEAVY)
        .annotate(
            source_mention_id=Subquery(first.values("pk")[:1]),
            source_quote=Subquery(first.values("exact")[:1]),
            source_outlet=Subquery(first.values("article__source__name")[:1]),
            source_article_id=Subquery(first.values("article_id")[:1]),
        )
        .order_by("-score", "pk")
    )
    return list(queue[:limit])


@dataclass
class MatrixCell:
    mentions: int
    first_seen: dt.datetime | None
    is_first: bool = False


@dataclass
class MatrixRow:
    claim: Claim
    cells: list[MatrixCell | None]
    first_seen: dt.datetime | None
    source_count: int


@dataclass
class ClaimMatrix:
    sources: list[Source | None]  # None: articles without an outlet
    rows: list[MatrixRow]


def claim_source_matrix(*, user: AnyUser, project: Project) -> ClaimMatrix:
    """Claims × outlets: mentions per cell and where each claim appeared first.

    Three queries whatever the size: claims, sources, and one aggregate over mentions grouped
    by (claim, outlet). "Seen" is the article's publication date; an undated article's mention
    counts but dates nothing (the day it was loaded is not when the outlet said it).
    """
    if not projects_for(user).filter(pk=project.pk).exists():
        raise NotFound("Project not found.")
    claims = list(
        Claim.objects.filter(project=project)
        .only("pk", "statement", "status", "kind", "created_at")
        .order_by("created_at", "pk")
    )
    sources: list[Source | None] = list(Source.objects.filter(project=project).order_by("name"))
    seen = "article__published_at"
    cells: dict[tuple[int, int | None], MatrixCell] = {
        (row["claim_id"], row["article__source_id"]): MatrixCell(row["mentions"], row["first"])
        for row in Annotation.objects.filter(claim__project=project)
        .values("claim_id", "article__source_id")
        .annotate(mentions=Count("pk"), first=Min(seen))
        .order_by()
    }
    if any(source_id is None for _, source_id in cells):
        sources.append(None)
    rows = [_matrix_row(claim, sources, cells) for claim in claims]
    rows.sort(key=lambda r: (r.first_seen is None, r.first_seen or dt.datetime.min, r.claim.pk))
    return ClaimMatrix(sources=sources, rows=rows)


def _matrix_row(
    claim: Claim,
    sources: list[Source | None],
    cells: dict[tuple[int, int | None], MatrixCell],
) -> MatrixRow:
    row_cells = [cells.get((claim.pk, s.pk if s else None)) for s in sources]
    dates = [c.first_seen for c in row_cells if c and c.first_seen]
    first_seen = min(dates) if dates else None
    for cell in row_cells:
        if cell is not None and first_seen is not None:
            cell.is_first = cell.first_seen == first_seen
    return MatrixRow(
        claim=claim,
        cells=row_cells,
        first_seen=first_seen,
        source_count=sum(1 for c in row_cells if c),
    )


def alias_map(*, project: Project) -> dict[str, str]:
    """Variant → canonical spelling (lower case) for the review screen's word marking.

    Aliases for every project first, so the project's own entries win.
    """
    rows = (
        Alias.objects.filter(Q(project=project) | Q(project__isnull=True))
        .order_by(F("project_id").asc(nulls_first=True), "pk")
        .values_list("variant", "canonical")
    )
    return {variant.lower(): canonical.lower() for variant, canonical in rows}
