"""Finding a claim already worded the same way, so an editor (or a script) does not create the
same claim twice by accident. Statements are stored whitespace-normalised, so a
case-insensitive comparison of the normalised wording is enough."""

from __future__ import annotations

from annotations.models import Project
from claims.models import Claim

MSG_DUPLICATE_WORDING = "A claim with the same wording already exists in this project: #{pk}."


def claim_same_wording(*, project: Project, statement: str) -> Claim | None:
    """The oldest claim of the project worded like `statement` (case and spaces ignored)."""
    wording = " ".join(statement.split())
    if not wording:
        return None
    return (
        Claim.objects.filter(project=project, statement__iexact=wording)
        .only("pk", "statement", "project_id")
        .order_by("pk")
        .first()
    )


def duplicate_payload(claim: Claim, *, url: str) -> dict[str, object]:
    """How the reader's XHR and the API describe the existing claim."""
    return {
        "code": "duplicate_wording",
        "detail": MSG_DUPLICATE_WORDING.format(pk=claim.pk),
        "existing_claim": claim.pk,
        "statement": claim.statement,
        "url": url,
    }
