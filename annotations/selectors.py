"""Reads of projects and articles, scoped to the projects the user belongs to."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotations.models import Annotation, Article, ProcessingState, Project
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
