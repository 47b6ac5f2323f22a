"""Undoing and bulk-applying editors' decisions on the matcher's proposals.

An undo puts a decided candidate back to pending and removes what its accept made (the mention
it created, the same-as relation); the history rows of the candidate and the mention keep the
record. Both entry points go through the single-decision services, so a race is still won by
exactly one reviewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction

from annotations.models import Project, Role
from annotations.permissions import require_role
from claims.models import (
    Annotation,
    AnnotationOrigin,
    CandidateState,
    ClaimRelation,
    MatchCandidate,
    RelationKind,
)
from claims.services.candidates import candidate_accept, candidate_mark_related, candidate_reject
from common.errors import ApplicationError, Conflict

MSG_UNDO_PENDING = "This proposal is not decided (anymore): there is nothing to undo."
MSG_UNDO_STALE = (
    "This proposal was decided again since (it is now {state}); that newer decision was kept."
)
MSG_BULK_NONE = "Select at least one proposal."
MSG_BULK_DECISION = "Bulk decisions are accept or reject."
# One POST decides at most a page of the queue; each decision is a savepoint and a few queries.
BULK_LIMIT = 200

BULK_DECISIONS = {
    "accept": candidate_accept,
    "reject": candidate_reject,
    "related": candidate_mark_related,
}


def decision_token(candidate: MatchCandidate) -> str:
    """What an undo button carries: the decision it undoes, so a newer decision is not undone."""
    when = candidate.reviewed_at.isoformat() if candidate.reviewed_at else ""
    return f"{candidate.state}@{when}"


def _undo_accept(candidate: MatchCandidate) -> None:
    if candidate.target_claim_id is not None:
        ClaimRelation.objects.filter(
            source_claim_id=candidate.claim_id,
            target_claim_id=candidate.target_claim_id,
            kind=RelationKind.SAME_AS,
        ).delete()
        return
    if candidate.annotation_id is None:
        return
    # Only a mention the accept made goes; one an editor had marked by hand stays.
    Annotation.objects.filter(
        pk=candidate.annotation_id, origin=AnnotationOrigin.CANDIDATE
    ).delete()


def candidate_undo(
    *, candidate: MatchCandidate, token: str | None, actor: User | None
) -> MatchCandidate:
    """Put a decided proposal back in the queue.

    1. Lock the row; refuse when it is pending or was decided again since `token` was read.
    2. Remove what an accept made (its mention or same-as relation).
    3. Save it pending: simple_history records the undo with its author.
    """
    if actor is not None:
        require_role(actor, candidate.project, Role.EDITOR)
    with transaction.atomic():
        current = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
        if current.state == CandidateState.PENDING:
            raise Conflict(MSG_UNDO_PENDING)
        if token is not None and token != decision_token(current):
            raise Conflict(MSG_UNDO_STALE.format(state=current.get_state_display().lower()))
        if current.state == CandidateState.ACCEPTED:
            _undo_accept(current)
        current.state = CandidateState.PENDING
        current.reviewer = None
        current.reviewed_at = None
        current.annotation = None
        current._history_user = actor  # type: ignore[attr-defined]
        current.save()
    return current


@dataclass
class BulkResult:
    decided: list[MatchCandidate] = field(default_factory=list)
    skipped: int = 0  # already decided by someone else, or no longer in the queue

    @property
    def same_as(self) -> list[MatchCandidate]:
        """Accepted claim-to-claim proposals: the page offers to merge each pair."""
        return [
            c
            for c in self.decided
            if c.target_claim_id is not None and c.state == CandidateState.ACCEPTED
        ]


def candidate_bulk_decide(
    *, project: Project, candidate_ids: Iterable[int], decision: str, actor: User | None
) -> BulkResult:
    """Apply one decision to many proposals of a project; each in its own savepoint.

    A proposal someone else decided meanwhile is skipped and counted, not an error for the rest.
    """
    if actor is not None:
        require_role(actor, project, Role.EDITOR)
    decide = BULK_DECISIONS.get(decision)
    if decide is None:
        raise ApplicationError(MSG_BULK_DECISION)
    ids = sorted(set(candidate_ids))[:BULK_LIMIT]
    if not ids:
        raise ApplicationError(MSG_BULK_NONE)
    result = BulkResult()
    found = list(
        MatchCandidate.objects.filter(project=project, pk__in=ids)
        .select_related("project", "claim", "passage", "article")
        .order_by("pk")
    )
    result.skipped = len(ids) - len(found)
    with transaction.atomic():
        for candidate in found:
            try:
                with transaction.atomic():
                    result.decided.append(decide(candidate=candidate, actor=actor))
            except ApplicationError:
                result.skipped += 1
    return result
