"""Who works on a project: owners add members by username or e-mail, change roles, remove them.

A project always keeps at least one owner, or nobody could manage its members any more.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from annotations.models import Membership, Project, Role
from annotations.permissions import require_role
from common.errors import ApplicationError, Conflict, NotFound

MSG_NO_SUCH_USER = (
    "No user “{who}”: check the username or e-mail, or ask an admin to create the account."
)
MSG_AMBIGUOUS_USER = "More than one account uses the e-mail “{who}”; give the username instead."
MSG_ALREADY_MEMBER = (
    "{user} is already a member of this project (as {role}); change the role below."
)
MSG_LAST_OWNER = "A project needs at least one owner: make someone else owner first."
MSG_UNKNOWN_ROLE = "Unknown role “{role}”."


def _role(role: str) -> Role:
    if role not in Role.values:
        raise ApplicationError(MSG_UNKNOWN_ROLE.format(role=role))
    return Role(role)


def _user_named(who: str) -> User:
    who = who.strip()
    users = list(
        User.objects.filter(Q(username__iexact=who) | Q(email__iexact=who), is_active=True)[:3]
    )
    exact = [u for u in users if u.username.lower() == who.lower()]
    if exact:
        return exact[0]
    if not users:
        raise NotFound(MSG_NO_SUCH_USER.format(who=who))
    if len(users) > 1:
        raise ApplicationError(MSG_AMBIGUOUS_USER.format(who=who))
    return users[0]


def membership_add(*, project: Project, who: str, role: str, actor: User) -> Membership:
    """Add an existing account (by username or e-mail) to the project with `role`."""
    require_role(actor, project, Role.OWNER)
    user = _user_named(who)
    existing = Membership.objects.filter(project=project, user=user).first()
    if existing is not None:
        raise Conflict(
            MSG_ALREADY_MEMBER.format(user=user.username, role=existing.get_role_display().lower())
        )
    return Membership.objects.create(project=project, user=user, role=_role(role))


def _others_owning(membership: Membership) -> bool:
    return (
        Membership.objects.filter(project_id=membership.project_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor: User) -> Membership:
    require_role(actor, membership.project, Role.OWNER)
    new_role = _role(role)
    # Locking the project's owners serialises two owners demoting each other at once.
    list(
        Membership.objects.select_for_update().filter(
            project_id=membership.project_id, role=Role.OWNER
        )
    )
    if membership.role == Role.OWNER and new_role != Role.OWNER and not _others_owning(membership):
        raise Conflict(MSG_LAST_OWNER)
    membership.role = new_role
    membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    require_role(actor, membership.project, Role.OWNER)
    list(
        Membership.objects.select_for_update().filter(
            project_id=membership.project_id, role=Role.OWNER
        )
    )
    if membership.role == Role.OWNER and not _others_owning(membership):
        raise Conflict(MSG_LAST_OWNER)
    membership.delete()
