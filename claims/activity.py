"""What happened to a claim's mentions and proposals, for the claim page's history.

Read from the simple_history tables of Annotation and MatchCandidate (no event table of our
own): a mention's "+" and "-" rows are attaching and detaching; a candidate's rows, walked in
order, show each state change, an undo being a decided state going back to pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse

from claims.models import Annotation, CandidateState, Claim, MatchCandidate
from claims.services.decisions import decision_token

# The claim page shows the latest entries only; the admin's history pages have the rest.
ACTIVITY_LIMIT = 60
DECIDED_LIMIT = 20

_DECIDED_LABELS: dict[str, str] = {
    CandidateState.ACCEPTED: "accepted",
    CandidateState.REJECTED: "rejected",
    CandidateState.RELATED: "marked related, not the same",
}


@dataclass
class ActivityEntry:
    when: datetime
    user: Any
    text: str


def _mention_entries(claim: Claim) -> list[ActivityEntry]:
    rows = (
        Annotation.history.filter(claim_id=claim.pk, history_type__in=["+", "-"])
        .select_related("history_user")
        .order_by("-history_id")[:ACTIVITY_LIMIT]
    )
    entries = []
    for row in rows:
        verb = "Mention attached" if row.history_type == "+" else "Mention detached"
        entries.append(ActivityEntry(row.history_date, row.history_user, f"{verb}: “{row.exact}”"))
    return entries


def _target_text(row: Any) -> str:
    if row.target_claim_id is not None:
        return f"same as claim #{row.target_claim_id}"
    return f"mention in article #{row.article_id}"


def _candidate_entries(claim: Claim) -> list[ActivityEntry]:
    # Rows exist only for decisions and undos (the matcher's bulk writes make none); the newest
    # few hundred bound the page's cost however long the claim has been reviewed.
    latest = (
        MatchCandidate.history.filter(Q(claim_id=claim.pk) | Q(target_claim_id=claim.pk))
        .select_related("history_user")
        .order_by("-history_id")[: ACTIVITY_LIMIT * 4]
    )
    rows = sorted(latest, key=lambda row: (row.id, row.history_id))
    entries = []
    previous: dict[int, str] = {}
    for row in rows:
        before = previous.get(row.id, CandidateState.PENDING)
        previous[row.id] = row.state
        if row.state == before:
            continue
        if row.state == CandidateState.PENDING:
            text = f"Decision undone ({_DECIDED_LABELS.get(before, before)}): {_target_text(row)}"
        else:
            text = f"Proposal {_DECIDED_LABELS.get(row.state, row.state)}: {_target_text(row)}"
        entries.append(ActivityEntry(row.history_date, row.history_user, text))
    return entries


def claim_activity(*, claim: Claim) -> list[ActivityEntry]:
    """Attaching, detaching, decisions and undos on this claim, newest first."""
    entries = _mention_entries(claim) + _candidate_entries(claim)
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:ACTIVITY_LIMIT]


@dataclass
class DecidedProposal:
    candidate: MatchCandidate
    token: str
    label: str


def decided_proposals(*, candidates: Any, limit: int = DECIDED_LIMIT) -> list[DecidedProposal]:
    """Decided proposals (newest decision first), each with the token its undo button sends."""
    decided = (
        candidates.exclude(state=CandidateState.PENDING)
        .select_related("claim", "target_claim", "article__source", "reviewer")
        .defer("signals", "claim__embedding", "target_claim__embedding", "article__text")
        .order_by("-reviewed_at", "-pk")[:limit]
    )
    return [
        DecidedProposal(c, decision_token(c), _DECIDED_LABELS.get(c.state, c.state))
        for c in decided
    ]


def claim_decided_proposals(*, claim: Claim) -> list[DecidedProposal]:
    return decided_proposals(candidates=MatchCandidate.objects.filter(claim=claim))


def merge_offer_url(candidate: MatchCandidate) -> str:
    """Where an accepted same-as proposal leads: the page offering to merge the two claims."""
    if candidate.target_claim_id is None or candidate.state != CandidateState.ACCEPTED:
        return ""
    return reverse("candidate-merge-offer", kwargs={"pk": candidate.pk})


def recent_decisions(*, project: Any, user: Any, limit: int = 10) -> list[DecidedProposal]:
    """The queue's "recently decided": this editor's latest decisions in the project."""
    candidates = MatchCandidate.objects.filter(project=project, reviewer=user)
    return decided_proposals(candidates=candidates, limit=limit)
