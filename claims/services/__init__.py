"""Writes for claims, mentions, relations and candidate decisions; one import place for callers."""

from claims.services.candidates import candidate_accept, candidate_mark_related, candidate_reject
from claims.services.claims import (
    annotation_create,
    annotation_detach,
    claim_create,
    claim_merge,
    claim_update,
    relation_create,
)

__all__ = [
    "annotation_create",
    "annotation_detach",
    "candidate_accept",
    "candidate_mark_related",
    "candidate_reject",
    "claim_create",
    "claim_merge",
    "claim_update",
    "relation_create",
]
