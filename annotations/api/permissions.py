"""Roles on API objects, enforced through annotations.permissions (the one place roles live).

Reads: querysets are scoped with `projects_for()`, so an outsider gets 404 and never a hint.
Writes: the object's project must give the user the editor role (viewers get 403). Creates
look their project up with `project_for_write()` before validating the body, so a viewer
learns "forbidden", not which fields were wrong.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from annotations.models import Project, Role
from annotations.permissions import projects_for, require_role
from common.errors import ApplicationError, NotFound, PermissionDenied

MSG_ID_REQUIRED = "Give the {field} id as a whole number in “{field}”."
MSG_NOT_FOUND = "The {field} was not found."
# Largest id a PostgreSQL bigint holds.
MAX_ID = 2**63 - 1


def project_of(obj: Any) -> Project:
    """The project an API object belongs to (project, article, claim, annotation, candidate...)."""
    if isinstance(obj, Project):
        return obj
    for path in ("project", "article.project", "source_claim.project"):
        target = obj
        for name in path.split("."):
            target = getattr(target, name, None)
        if isinstance(target, Project):
            return target
    raise TypeError(f"No project for {type(obj).__name__}")


def parse_id(raw_id: Any, field: str) -> int:
    """A whole-number id from a request body or query (400 otherwise)."""
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str):
        raise ApplicationError(MSG_ID_REQUIRED.format(field=field), extra={"field": field})
    try:
        pk = int(raw_id)
    except ValueError:
        raise ApplicationError(
            MSG_ID_REQUIRED.format(field=field), extra={"field": field}
        ) from None
    if not 1 <= pk <= MAX_ID:
        raise NotFound(MSG_NOT_FOUND.format(field=field))
    return pk


def visible_for_write(user: Any, queryset: QuerySet[Any], raw_id: Any, *, field: str) -> Any:
    """The object a create writes into, looked up among the user's projects' objects.

    400 if the id is malformed, 404 if the user cannot see it, 403 below the editor role.
    """
    obj = queryset.filter(pk=parse_id(raw_id, field)).first()
    if obj is None:
        raise NotFound(MSG_NOT_FOUND.format(field=field))
    require_role(user, project_of(obj), Role.EDITOR)
    return obj


def project_for_write(user: Any, raw_id: Any) -> Project:
    return visible_for_write(user, projects_for(user), raw_id, field="project")


class EditorForWrites(BasePermission):
    """Object-level: any member reads (the queryset already hid other projects); editors write."""

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        try:
            require_role(request.user, project_of(obj), Role.EDITOR)
        except PermissionDenied as exc:
            # Answer the DRF way (False + message): the browsable API probes each write
            # method this way to decide which forms to show, and expects no exception.
            self.message = exc.message
            return False
        return True
