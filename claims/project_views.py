"""Browser pages for projects as a desk sees them: the project list and a project's page, with
their articles, claims and pending reviews.

Views parse, call one service or selector, and render. Roles are checked by the selectors
(outsiders: 404) and by has_role (viewers read, editors change).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render

from annotations import selectors as annotation_selectors
from annotations.form_memory import form_recall
from annotations.forms import ArticleAddForm
from annotations.models import Article, Project, Role
from annotations.permissions import has_role
from annotations.views import add_form_key
from claims import page_filters, selectors
from common.filtering import page_query
from common.http import AuthedRequest

# The project page lists this many claims; the matrix and the API show them all.
CLAIMS_ON_PROJECT_PAGE = 100


@login_required
def project_list(request: AuthedRequest) -> HttpResponse:
    projects = selectors.project_overview(user=request.user)
    return render(request, "annotations/project_list.html", {"projects": projects})


def _article_table_context(
    request: AuthedRequest, project: Project, articles: QuerySet[Article]
) -> dict[str, Any]:
    listed = list(articles)
    return {
        "project": project,
        "articles": listed,
        "polling": any(annotation_selectors.article_is_active(a) for a in listed),
        # The polled table keeps the page's search.
        "table_query": page_query(request.GET, whole_days=False).urlencode(),
    }


def _project_context(
    request: AuthedRequest, project: Project, form: ArticleAddForm | None = None
) -> dict[str, Any]:
    articles, claims, desk = page_filters.project_page(
        user=request.user, project=project, params=request.GET
    )
    shown = list(claims[: CLAIMS_ON_PROJECT_PAGE + 1])
    return {
        **_article_table_context(request, project, articles),
        "claims": shown[:CLAIMS_ON_PROJECT_PAGE],
        "more_claims": len(shown) > CLAIMS_ON_PROJECT_PAGE,
        "pending_count": selectors.pending_candidate_count(project=project),
        "can_edit": has_role(request.user, project, Role.EDITOR),
        "form": form or ArticleAddForm(),
        "desk": desk,
        "exports": page_filters.export_links(project=project, desk=desk),
    }


@login_required
def project_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    project = annotation_selectors.project_get(user=request.user, slug=slug)
    # A failed add-article redirects here with its errors and typed values (post/redirect/get).
    recalled = form_recall(request, key=add_form_key(project), form_class=ArticleAddForm)
    form, extra = recalled if recalled else (None, {})
    context = _project_context(request, project, form)
    context["duplicate_id"] = extra.get("duplicate_id")
    status = 400 if context["desk"].errors else 200
    return render(request, "annotations/project_detail.html", context, status=status)


@login_required
def project_articles(request: AuthedRequest, slug: str) -> HttpResponse:
    """The article table alone: polled by htmx every 2 s while an article is processed."""
    project = annotation_selectors.project_get(user=request.user, slug=slug)
    articles = page_filters.article_table(user=request.user, project=project, params=request.GET)
    context = _article_table_context(request, project, articles)
    return render(request, "annotations/_article_table.html", context)
