"""Editors' decisions on the matcher's proposals. A decision is final for that pair: the
matcher never proposes a decided pair again nor changes it."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotations.models import Role
from annotations.permissions import require_role
from claims.models import (
    AnnotationOrigin,
    CandidateState,
    ClaimRelation,
    MatchCandidate,
    RelationKind,
)
from claims.services.claims import annotation_create
from common.errors import Conflict

MSG_ALREADY_DECIDED = "This candidate was already {state} by someone else."


def _decide(candidate: MatchCandidate, state: CandidateState, actor: User | None) -> MatchCandidate:
    """Guarded state change pending → `state`; exactly one reviewer wins a race."""
    if actor is not None:
        require_role(actor, candidate.project, Role.EDITOR)
    changed = MatchCandidate.objects.filter(pk=candidate.pk, state=CandidateState.PENDING).update(
        state=state, reviewer=actor, reviewed_at=timezone.now()
    )
    if changed != 1:
        current = MatchCandidate.objects.get(pk=candidate.pk)
        raise Conflict(MSG_ALREADY_DECIDED.format(state=current.get_state_display().lower()))
    candidate.refresh_from_db()
    # The guarded update bypasses simple_history; this save records the decision and who made
    # it, which the claim page's history and the undo read.
    candidate._history_user = actor  # type: ignore[attr-defined]
    candidate.save(update_fields=["updated_at"])
    return candidate


@transaction.atomic
def candidate_accept(*, candidate: MatchCandidate, actor: User | None) -> MatchCandidate:
    """Accept: the proposed span becomes a mention of the claim (or the claims become same-as)."""
    candidate = _decide(candidate, CandidateState.ACCEPTED, actor)
    if candidate.target_claim_id is not None:
        ClaimRelation.objects.get_or_create(
            source_claim_id=candidate.claim_id,
            target_claim_id=candidate.target_claim_id,
            kind=RelationKind.SAME_AS,
            defaults={"created_by": actor},
        )
        return candidate
    passage = candidate.passage
    assert passage is not None and candidate.article is not None
    start = candidate.start if candidate.start is not None else passage.start
    end = candidate.end if candidate.end is not None else passage.end
    existing = candidate.claim.mentions.filter(
        article=candidate.article, start=start, end=end
    ).first()
    annotation = existing or annotation_create(
        article=candidate.article,
        claim=candidate.claim,
        start=start,
        end=end,
        origin=AnnotationOrigin.CANDIDATE,
        actor=actor,
    )
    candidate.annotation = annotation
    candidate.save(update_fields=["annotation", "updated_at"])
    return candidate


@transaction.atomic
def candidate_reject(*, candidate: MatchCandidate, actor: User | None) -> MatchCandidate:
    return _decide(candidate, CandidateState.REJECTED, actor)


@transaction.atomic
def candidate_mark_related(*, candidate: MatchCandidate, actor: User | None) -> MatchCandidate:
    """ "Related, not the same": stored like a rejection so the pair is not proposed again."""
    return _decide(candidate, CandidateState.RELATED, actor)
