"""One scoping for every admin page: staff who are not superusers see their projects' objects
and change them as their project role allows.

Roles come from annotations.permissions; this module only maps the admin's hooks onto them:
querysets, object permissions, foreign-key choices, the form's one-project rule, inline rows
and the history views of django-simple-history (which by themselves check only the model
permission and accept a revert from anyone who may view). An outsider gets "not found", a
member whose role is too low "forbidden", as everywhere else.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import ForeignKey, Model, Q, QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from annotations.models import Project, Role
from annotations.permissions import has_role, projects_for, projects_with_role

MSG_ONE_PROJECT = "Everything this {model} refers to must belong to one project."


def project_path_of(model: type[Model]) -> str | None:
    """How `model` reaches its project (a Django lookup path), or None if it belongs to none.

    Each app says it where it registers the model's admin (`ProjectScopedAdmin.project_path`),
    so this module lists no app's models. Foreign keys to such models offer only objects of
    the projects where the user may write."""
    try:
        model_admin = admin.site.get_model_admin(model)
    except NotRegistered:
        return None
    return model_admin.project_path if isinstance(model_admin, ProjectScopedAdmin) else None


def project_of(obj: Model | None) -> Project | None:
    """The project `obj` belongs to, or None (no project, or one that no longer exists)."""
    path = project_path_of(type(obj)) if obj is not None else None
    if path is None:
        return None
    if path == "pk":
        return obj  # type: ignore[return-value]
    target: Any = obj
    try:
        for part in path.split("__"):
            target = getattr(target, part, None)
    except ObjectDoesNotExist:  # a historical version whose related row was deleted
        return None
    return target if isinstance(target, Project) else None


def allows(request: HttpRequest, obj: Model | None, minimum: Role) -> bool:
    """True if the user holds `minimum` in the project of `obj` (always without an object)."""
    if obj is None or request.user.is_superuser:
        return True
    project = project_of(obj)
    return project is not None and has_role(request.user, project, minimum)


class ProjectScopedForm(forms.ModelForm):
    """An object and every object it points at (outlet, claims, its project) share a project:
    choices are already limited to the user's writable projects, and this keeps an editor of
    two projects from mixing them."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        projects = {
            getattr(project_of(value), "pk", None)
            for value in cleaned.values()
            if isinstance(value, Model) and project_path_of(type(value)) is not None
        }
        if len(projects - {None}) > 1:
            raise ValidationError(MSG_ONE_PROJECT.format(model=self._meta.model._meta.verbose_name))
        return cleaned


class ScopedChoicesMixin:
    """Foreign keys offer only objects of projects where the user may write; the form field
    validates against that queryset, so a posted id outside it is rejected."""

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        related = cast("type[Model]", db_field.related_model)
        path = project_path_of(related)
        if path is not None and not request.user.is_superuser:
            writable = projects_with_role(request.user, Role.EDITOR)
            kwargs["queryset"] = related._default_manager.filter(**{f"{path}__in": writable})
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ProjectScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Shows a staff user only what belongs to their projects; changing needs the editor role.

    The model permissions (view_claim, change_claim...) still apply on top: a role never grants
    what the user's staff permissions do not.
    """

    form = ProjectScopedForm
    project_path = "project"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(self.visible(request))

    def visible(self, request: HttpRequest) -> Q:
        """The rows a staff user who is not a superuser may see."""
        return Q(**{f"{self.project_path}__in": projects_for(request.user)})

    def allows(self, request: HttpRequest, obj: Any, minimum: Role) -> bool:
        return allows(request, obj, minimum)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self.allows(request, obj, Role.VIEWER)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.allows(
            request, obj, Role.EDITOR
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.allows(
            request, obj, Role.EDITOR
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        if not super().has_add_permission(request):
            return False
        user = request.user
        return user.is_superuser or projects_with_role(user, Role.EDITOR).exists()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The last word for every save path (change form, add form, history revert): the
        # object as it will be saved must sit in a project the user edits.
        if not self.allows(request, obj, Role.EDITOR):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class ScopedHistoryAdmin(ProjectScopedAdmin, SimpleHistoryAdmin):
    """django-simple-history's views under the same scoping: the history of an object outside
    the user's projects is "not found", and a revert is a change (editor role)."""

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._scoped_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self._scoped_object(request, object_id)
        if request.method == "POST" and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _scoped_object(self, request: HttpRequest, object_id: str) -> Any:
        """The live object among the user's projects, else 404. The history of a deleted
        object is left to superusers: no membership vouches for it any more."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None and not request.user.is_superuser:
            raise Http404
        return obj


class ProjectScopedInline(ScopedChoicesMixin, admin.TabularInline):
    """Rows edited on their parent's page: adding, changing or deleting them needs
    `minimum_role` in the parent's project."""

    form = ProjectScopedForm
    minimum_role = Role.EDITOR

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and allows(request, obj, self.minimum_role)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and allows(
            request, obj, self.minimum_role
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and allows(
            request, obj, self.minimum_role
        )
