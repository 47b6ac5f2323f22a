"""Reads of claims and candidates, scoped to the projects the user belongs to."""

from __future__ import annotations

from annotations.permissions import AnyUser, projects_for
from claims.models import Claim
from common.errors import NotFound

MSG_CLAIM_NOT_FOUND = "Claim not found."


def claim_get(*, user: AnyUser, pk: int) -> Claim:
    claim = (
        Claim.objects.filter(project__in=projects_for(user), pk=pk)
        .select_related("project")
        .first()
    )
    if claim is None:
        raise NotFound(MSG_CLAIM_NOT_FOUND)
    return claim
