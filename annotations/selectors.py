"""Reads of projects and articles, scoped to the projects the user belongs to."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotations.models import Article, Membership, ProcessingState, Project
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
    """A project's articles with their outlet, newest first."""
    return (
        Article.objects.filter(project__in=projects_for(user), project=project)
        .select_related("source")
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


# --- Browser UI reads ------------------------------------------------------------------------


def article_is_active(article: Article) -> bool:
    """Still being segmented/embedded: the page keeps polling its state."""
    return article.processing_state in {ProcessingState.PENDING, ProcessingState.PROCESSING}


def project_progress(*, project: Project) -> dict[str, Any]:
    """How far processing got for a project's articles: counts by processing state, and the
    processed ones still waiting to be matched (one query on the project-state index)."""
    counts = Article.objects.filter(project=project).aggregate(
        articles=Count("pk"),
        **{state.value: Count("pk", filter=Q(processing_state=state)) for state in ProcessingState},
        matching=Count(
            "pk", filter=Q(processing_state=ProcessingState.PROCESSED, matched_at__isnull=True)
        ),
    )
    busy = counts[ProcessingState.PENDING] + counts[ProcessingState.PROCESSING]
    return {**counts, "done": busy + counts["matching"] == 0}


# --- REST API reads -------------------------------------------------------------------------


def _api_count(queryset: QuerySet[Any], by: str) -> Coalesce:
    """COUNT(*) of `queryset` per `by` as a correlated subquery (no join multiplies rows)."""
    counted = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def source_api_list(*, user: AnyUser) -> QuerySet[Any]:
    """Outlets of the user's projects with how many articles each published there."""
    from annotations.models import Source

    return Source.objects.filter(project__in=projects_for(user)).annotate(
        article_count=_api_count(Article.objects.filter(source=OuterRef("pk")), "source")
    )


def article_api_list(*, user: AnyUser) -> QuerySet[Article]:
    """Articles of the user's projects with their outlet (text is loaded)."""
    return Article.objects.filter(project__in=projects_for(user)).select_related("source")


# --- Members (the project's members page) --------------------------------------------------

MSG_MEMBER_NOT_FOUND = "Member not found."


def membership_list(*, project: Project) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(project=project).select_related("user").order_by("user__username")
    )


def membership_get(*, project: Project, pk: int) -> Membership:
    membership = Membership.objects.filter(project=project, pk=pk).select_related("user").first()
    if membership is None:
        raise NotFound(MSG_MEMBER_NOT_FOUND)
    return membership
