"""Reads of projects and articles, scoped to the projects the user belongs to."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from annotations.models import Article, Project
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
