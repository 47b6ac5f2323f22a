"""Projects and their members."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.text import slugify

from annotations.models import Membership, Project, Role

# Slugs a project cannot take: they are paths of their own under /projects/.
RESERVED_SLUGS = frozenset(["new"])


@transaction.atomic
def project_create(
    *, name: str, owner: User | None = None, description: str = "", slug: str = ""
) -> Project:
    """Create a project; its creator becomes its owner."""
    base = slug or slugify(name)[:180] or "project"
    candidate, n = base, 1
    while candidate in RESERVED_SLUGS or Project.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    project = Project(name=name, slug=candidate, description=description)
    project.full_clean()
    project.save()
    if owner is not None:
        Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    return project


def membership_set(*, project: Project, user: User, role: Role) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    return membership
