"""Reads for the REST API and the exports of claims, relations and candidates, scoped to the
projects the user belongs to."""

from __future__ import annotations

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotations.permissions import AnyUser, projects_for
from claims.models import Annotation, Claim, ClaimRelation, MatchCandidate

# Statuses that are not a verdict yet: such claims have no schema.org ClaimReview.
NO_VERDICT = ("unverified", "in_progress")


def claim_api_list(*, user: AnyUser) -> QuerySet[Claim]:
    """Claims of the user's projects with their number of mentions (a subquery, not a join)."""
    from django.db.models import IntegerField

    mentions = (
        Annotation.objects.filter(claim=OuterRef("pk"))
        .order_by()
        .values("claim")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Claim.objects.filter(project__in=projects_for(user))
        .select_related("created_by")
        .defer("embedding", "search_vector")
        .annotate(mention_count=Coalesce(Subquery(mentions, output_field=IntegerField()), 0))
    )


def claim_export_base(*, user: AnyUser) -> QuerySet[Claim]:
    """The claims an export may read, without annotations (the export adds its own aggregates)."""
    return Claim.objects.filter(project__in=projects_for(user))


def claim_export_rows(*, claims: QuerySet[Claim]) -> QuerySet[Claim, dict[str, object]]:
    """One row per claim for the claim table: its mentions aggregated in the same query.

    1. `claims` is already scoped and filtered (filters use EXISTS, never joins, so the
       aggregates below see every mention of a claim, not only the filtered ones).
    2. One LEFT JOIN of mentions → articles → outlets, grouped by claim: counts, outlets,
       first and last appearance (publication date, else load date) and the quotes in order
       of appearance. The caller reads the rows through a server-side cursor, in chunks.
    """
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.db.models import Max

    seen = Coalesce("mentions__article__published_at", "mentions__article__created_at")
    return claims.annotate(
        mention_count=Count("mentions"),
        article_count=Count("mentions__article", distinct=True),
        source_count=Count("mentions__article__source", distinct=True),
        outlets=ArrayAgg(
            "mentions__article__source__name",
            distinct=True,
            filter=Q(mentions__article__source__isnull=False),
            order_by="mentions__article__source__name",
        ),
        first_appearance=Min(seen),
        last_appearance=Max(seen),
        quotes=ArrayAgg(
            "mentions__exact",
            filter=Q(mentions__isnull=False),
            order_by=(seen, "mentions__start"),  # type: ignore[arg-type]  # expressions work
        ),
    ).values(
        "id",
        "project_id",
        "project__name",
        "statement",
        "status",
        "kind",
        "verdict_summary",
        "tags",
        "mention_count",
        "article_count",
        "source_count",
        "outlets",
        "first_appearance",
        "last_appearance",
        "quotes",
        "created_at",
        "updated_at",
    )


def mention_export_rows(*, claims: QuerySet[Claim]) -> QuerySet[Annotation, dict[str, object]]:
    """One row per mention of the (scoped, filtered) claims: claim by claim, earliest first.

    "Seen" is the article's publication date, else when it was loaded, as in the claim table.
    """
    seen = Coalesce("article__published_at", "article__created_at")
    return (
        Annotation.objects.filter(claim__in=claims)
        .annotate(seen=seen)
        .order_by("claim_id", "seen", "article_id", "start")
        .values(
            "claim_id",
            "claim__statement",
            "claim__status",
            "article_id",
            "article__source__name",
            "article__url",
            "seen",
            "exact",
        )
    )


def claims_with_verdict(*, user: AnyUser) -> QuerySet[Claim]:
    """Claims with a verdict, each with its mentions (article and outlet) prefetched in order."""
    from django.db.models import Prefetch

    mentions = (
        Annotation.objects.select_related("article__source")
        .defer("article__text")
        .order_by(F("article__published_at").asc(nulls_last=True), "article_id", "start")
    )
    return (
        Claim.objects.filter(project__in=projects_for(user))
        .exclude(status__in=NO_VERDICT)
        .select_related("project")
        .defer("embedding", "search_vector")
        .prefetch_related(Prefetch("mentions", queryset=mentions))
    )


def relation_api_list(*, user: AnyUser) -> QuerySet[ClaimRelation]:
    return (
        ClaimRelation.objects.filter(source_claim__project__in=projects_for(user))
        .select_related("source_claim__project", "created_by")
        .defer("source_claim__embedding", "source_claim__search_vector")
    )


def candidate_api_list(*, user: AnyUser) -> QuerySet[MatchCandidate]:
    """Candidates of the user's projects with passage text and reviewer, vectors left behind."""
    return (
        MatchCandidate.objects.filter(project__in=projects_for(user))
        .select_related("project", "claim", "passage", "reviewer")
        .defer(
            "claim__embedding",
            "claim__search_vector",
            "passage__embedding",
            "passage__search_vector",
        )
    )
