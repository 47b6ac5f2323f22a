"""Browser pages for articles: adding one to a project.

Views parse, call one service or selector, and render. Roles are checked by the selectors
(outsiders: 404) and by require_role (editors change).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from annotations import selectors, services
from annotations.form_memory import form_remember
from annotations.forms import ArticleAddForm
from annotations.models import Article, Project, Role
from annotations.permissions import require_role
from common.errors import ApplicationError, NotFound, PermissionDenied
from common.http import AuthedRequest

MSG_ARTICLE_ADDED = "Article added. It is being processed; you can mark claims right away."


def _create_article(project: Project, form: ArticleAddForm, actor: Any) -> Article:
    data, meta = form.cleaned_data, form.metadata()
    if data.get("file"):
        upload = data["file"]
        return services.article_create_from_file(
            project=project, data=upload.read(), filename=upload.name, actor=actor, **meta
        )
    if data.get("url"):
        return services.article_create_from_url(
            project=project, url=data["url"], actor=actor, **meta
        )
    return services.article_create(project=project, text=data["text"], actor=actor, **meta)  # type: ignore[arg-type]


@login_required
@require_POST
def article_add(request: AuthedRequest, slug: str) -> HttpResponse:
    project = selectors.project_get(user=request.user, slug=slug)
    require_role(request.user, project, Role.EDITOR)
    form = ArticleAddForm(request.POST, request.FILES)
    duplicate_id = None
    if form.is_valid():
        try:
            article = _create_article(project, form, request.user)
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as exc:  # duplicate, empty, unreadable file, unreachable URL
            form.add_error(None, exc.message)
            duplicate_id = exc.extra.get("article_id")
        else:
            messages.success(request, MSG_ARTICLE_ADDED)
            return redirect(article)
    # Back to the project page with the errors and the typed values: a reload must not re-post.
    extra = {"duplicate_id": duplicate_id}
    form_remember(request, key=add_form_key(project), form=form, extra=extra)
    return redirect(f"{project.get_absolute_url()}#add-article")


def add_form_key(project: Project) -> str:
    """Where a failed add-article form waits for the project page that shows it again."""
    return f"article-add:{project.pk}"
