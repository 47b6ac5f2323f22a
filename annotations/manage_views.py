"""Browser pages that manage a project: creating one, its members, an article's details and
its deletion. Thin: parse, call one service, redirect with a message (post/redirect/get).

Any signed-in user may create a project and becomes its owner: a newsroom opens a desk per
story as news breaks, and waiting for an admin would send editors back to spreadsheets. What
a project holds stays private to its members either way.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from annotations import selectors, services
from annotations.manage_forms import (
    ArticleDetailsForm,
    MemberAddForm,
    MemberRoleForm,
    ProjectCreateForm,
)
from annotations.models import Project, Role
from annotations.permissions import has_role, require_role
from annotations.services.article_edits import article_delete, article_update_details
from annotations.services.members import membership_add, membership_change_role, membership_remove
from common.errors import ApplicationError, NotFound, PermissionDenied
from common.http import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: AuthedRequest) -> HttpResponse:
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                owner=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Project created. You are its owner: add members below.")
            return redirect("project-members", slug=project.slug)
    status = 400 if form.is_bound else 200
    return render(request, "annotations/project_new.html", {"form": form}, status=status)


def _members_context(request: AuthedRequest, project: Project, **extra: Any) -> dict[str, Any]:
    return {
        "project": project,
        "memberships": list(selectors.membership_list(project=project)),
        "can_manage": has_role(request.user, project, Role.OWNER),
        "add_form": MemberAddForm(),
        "roles": Role.choices,
        **extra,
    }


@login_required
def project_members(request: AuthedRequest, slug: str) -> HttpResponse:
    """Every member sees who works on the project; only owners see the controls."""
    project = selectors.project_get(user=request.user, slug=slug)
    return render(request, "annotations/project_members.html", _members_context(request, project))


@login_required
@require_POST
def member_add(request: AuthedRequest, slug: str) -> HttpResponse:
    project = selectors.project_get(user=request.user, slug=slug)
    require_role(request.user, project, Role.OWNER)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            member = membership_add(
                project=project, who=data["who"], role=data["role"], actor=request.user
            )
        except PermissionDenied:
            raise
        except ApplicationError as exc:  # unknown user (a NotFound here), already a member
            form.add_error("who", exc.message)
        else:
            role = member.get_role_display().lower()
            messages.success(request, f"{member.user.username} added as {role}.")
            return redirect("project-members", slug=project.slug)
    context = _members_context(request, project, add_form=form)
    return render(request, "annotations/project_members.html", context, status=400)


@login_required
@require_POST
def member_change(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Change a member's role, or remove the member (the "remove" button)."""
    project = selectors.project_get(user=request.user, slug=slug)
    require_role(request.user, project, Role.OWNER)
    membership = selectors.membership_get(project=project, pk=pk)
    form = MemberRoleForm(request.POST)
    try:
        if "remove" in request.POST:
            membership_remove(membership=membership, actor=request.user)
            messages.success(request, f"{membership.user.username} removed from the project.")
        elif form.is_valid():
            membership_change_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.user
            )
            role = membership.get_role_display().lower()
            messages.success(request, f"{membership.user.username} is now {role}.")
        else:
            messages.error(request, "Choose one of the roles.")
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:  # the last owner
        messages.error(request, exc.message)
    if not has_role(request.user, project, Role.VIEWER):
        return redirect("project-list")  # an owner who removed themselves
    return redirect("project-members", slug=project.slug)


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    article = selectors.article_get(user=request.user, pk=pk)
    require_role(request.user, article.project, Role.EDITOR)
    if request.method == "GET":
        form = ArticleDetailsForm.for_article(article)
    else:
        form = ArticleDetailsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                article_update_details(
                    article=article,
                    title=data["title"],
                    outlet=data["outlet"],
                    url=data["url"],
                    published_at=form.published_datetime(),
                    actor=request.user,
                )
            except (NotFound, PermissionDenied):
                raise
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Article details saved.")
                return redirect(article)
    status = 400 if form.is_bound else 200
    context = {"article": article, "project": article.project, "form": form}
    return render(request, "annotations/article_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def article_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (saying what goes with the article); POST deletes."""
    article = selectors.article_get(user=request.user, pk=pk)
    require_role(request.user, article.project, Role.EDITOR)
    project = article.project
    if request.method == "POST":
        title = article.title or f"Article {article.pk}"
        article_delete(article=article, actor=request.user)
        messages.success(request, f"“{title}” deleted with its mentions; the claims are kept.")
        return redirect(project)
    context = {
        "article": article,
        "project": project,
        "mention_count": article.annotations.count(),
    }
    return render(request, "annotations/article_delete.html", context)
