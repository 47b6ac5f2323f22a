"""Project roles, enforced here and only here; browser views, API and admin all call these.

An outsider learns nothing about a project: every lookup scoped by `projects_for()` answers
"not found", never "forbidden". A member whose role is too low gets "forbidden".
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from annotations.models import Membership, Project, Role
from common.errors import NotFound, PermissionDenied

# Higher number, more rights. Owners manage members; editors change content; viewers read.
ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}

MSG_PROJECT_NOT_FOUND = "Project not found."
MSG_ROLE_REQUIRED = "This needs the {role} role in project “{project}”; you are {actual}."

AnyUser = User | AnonymousUser


def projects_for(user: AnyUser) -> QuerySet[Project]:
    """Projects the user belongs to (all projects for a superuser)."""
    if not user.is_authenticated:
        return Project.objects.none()
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user)


def projects_with_role(user: AnyUser, minimum: Role) -> QuerySet[Project]:
    """Projects where the user holds `minimum` or a higher role (all for a superuser)."""
    if not user.is_authenticated:
        return Project.objects.none()
    if user.is_superuser:
        return Project.objects.all()
    roles = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[minimum]]
    return Project.objects.filter(memberships__user=user, memberships__role__in=roles)


def role_in(user: AnyUser, project: Project) -> Role | None:
    """The user's role in the project; superusers act as owners."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.OWNER
    role = (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    )
    return Role(role) if role else None


def has_role(user: AnyUser, project: Project, minimum: Role) -> bool:
    role = role_in(user, project)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def require_role(user: AnyUser, project: Project, minimum: Role) -> Role:
    """Raise NotFound for outsiders and PermissionDenied below `minimum`; return the role."""
    role = role_in(user, project)
    if role is None:
        raise NotFound(MSG_PROJECT_NOT_FOUND)
    if ROLE_RANK[role] < ROLE_RANK[minimum]:
        raise PermissionDenied(
            MSG_ROLE_REQUIRED.format(
                role=minimum.label.lower(), project=project, actual=role.label.lower()
            )
        )
    return role
