"""Reads of projects and articles, scoped to the projects the user belongs to."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotations.models import Annotation, Article, Membership, ProcessingState, Project
from annotations.permissions import AnyUser, projects_for
from common.errors import NotFound

MSG_ARTICLE_NOT_FOUND = "Article not found."


def project_list(*, user: AnyUser) -> QuerySet[Project]:
    return (
        projects_for(user).annotate(article_count=Count("articles", distinct=True)).order_by("name")
    )


def project_get(*, user: AnyUser, slug: str) -> Project:
    project = projects_for(user).filter(slug=slug).first()
    if project is None:
        raise NotFound("Project not found.")
    return project


def article_list(*, user: AnyUser, project: Project) -> QuerySet[Article]:
    """A project's articles with their outlet and number of distinct claims, newest first."""
    return (
        Article.objects.filter(project__in=projects_for(user), project=project)
        .select_related("source")
        .annotate(claim_count=Count("annotations__claim", distinct=True))
        .defer("text")
        .order_by("-published_at", "-created_at")
    )


def article_get(*, user: AnyUser, pk: int) -> Article:
    article = (
        Article.objects.filter(project__in=projects_for(user), pk=pk)
        .select_related("source", "project")
        .first()
    )
    if article is None:
        raise NotFound(MSG_ARTICLE_NOT_FOUND)
    return article


# --- Browser UI reads (project list, project page, reader) ---------------------------------


def project_overview(*, user: AnyUser) -> QuerySet[Project]:
    """The project list: each project with its numbers of articles, claims and pending reviews.

    Counted with subqueries, not joins, so three counts do not multiply each other's rows.
    """
    from claims.models import CandidateState, Claim, MatchCandidate

    def count_of(queryset: QuerySet[Any]) -> Coalesce:
        counted = queryset.order_by().values("project").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    return (
        projects_for(user)
        .annotate(
            article_count=count_of(Article.objects.filter(project=OuterRef("pk"))),
            claim_count=count_of(Claim.objects.filter(project=OuterRef("pk"))),
            pending_count=count_of(
                MatchCandidate.objects.filter(project=OuterRef("pk"), state=CandidateState.PENDING)
            ),
        )
        .order_by("name")
    )


def article_mentions(*, article: Article) -> QuerySet[Annotation]:
    """The reader's highlights: an article's mentions in text order, each with its claim."""
    return (
        Annotation.objects.filter(article=article)
        .select_related("claim")
        .order_by("start", "-end", "pk")
    )


def article_is_active(article: Article) -> bool:
    """Still being segmented/embedded: the page keeps polling its state."""
    return article.processing_state in {ProcessingState.PENDING, ProcessingState.PROCESSING}


# --- REST API reads -------------------------------------------------------------------------


def _api_count(queryset: QuerySet[Any], by: str) -> Coalesce:
    """COUNT(*) of `queryset` per `by` as a correlated subquery (no join multiplies rows)."""
    counted = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def project_api_list(*, user: AnyUser) -> QuerySet[Project]:
    """The user's projects with the user's role in each (superusers act as owners) and counts."""
    from django.db.models import CharField, Value

    from annotations.models import Membership, Role

    # An anonymous user (pk None) has no membership row: id 0 matches none.
    memberships = Membership.objects.filter(project=OuterRef("pk"), user_id=user.pk or 0)
    role = memberships.values("role")[:1]
    fallback = Role.OWNER.value if getattr(user, "is_superuser", False) else ""
    return project_overview(user=user).annotate(
        my_role=Coalesce(Subquery(role, output_field=CharField()), Value(fallback))
    )


def source_api_list(*, user: AnyUser) -> QuerySet[Any]:
    """Outlets of the user's projects with how many articles each published there."""
    from annotations.models import Source

    return Source.objects.filter(project__in=projects_for(user)).annotate(
        article_count=_api_count(Article.objects.filter(source=OuterRef("pk")), "source")
    )


def article_api_list(*, user: AnyUser) -> QuerySet[Article]:
    """Articles of the user's projects with outlet and number of mentions (text is loaded)."""
    return (
        Article.objects.filter(project__in=projects_for(user))
        .select_related("source")
        .annotate(
            annotation_count=_api_count(
                Annotation.objects.filter(article=OuterRef("pk")), "article"
            )
        )
    )


def annotation_api_list(*, user: AnyUser) -> QuerySet[Annotation]:
    """Mentions in the user's projects with article, outlet, claim and author in one query."""
    return (
        Annotation.objects.filter(article__project__in=projects_for(user))
        .select_related("article", "article__source", "claim", "author")
        .defer("article__text", "claim__embedding", "claim__search_vector")
    )


def article_annotation_page(*, article: Article, offset: int, limit: int) -> list[Annotation]:
    """One page of an article's mentions in text order (the W3C AnnotationPage's items)."""
    return list(
        Annotation.objects.filter(article=article)
        .select_related("article", "article__source", "claim", "author")
        .defer("article__text", "claim__embedding", "claim__search_vector")
        .order_by("start", "end", "pk")[offset : offset + limit]
    )


# --- Members (the project's members page) --------------------------------------------------

MSG_MEMBER_NOT_FOUND = "Member not found."


def membership_list(*, project: Project) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(project=project)
        .select_related("user")
        .order_by("user__username")
    )


def membership_get(*, project: Project, pk: int) -> Membership:
    membership = Membership.objects.filter(project=project, pk=pk).select_related("user").first()
    if membership is None:
        raise NotFound(MSG_MEMBER_NOT_FOUND)
    return membership
