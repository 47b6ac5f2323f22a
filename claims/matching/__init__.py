"""The matching engine: proposes where a claim is stated and which claims an article states.

One file per concern: retrieval (pgvector kNN + full-text), normalizers (numbers, dates,
names), signals (evidence per pair), scoring (signals -> score), pair_scoring (a claim's best
pair in a passage, what is kept per article), engine (entry points; article_matching for a new
article, waiting for claims taken in batched runs), writes (idempotent upserts), context (per-process caches), config (thresholds).
"""

from __future__ import annotations

from claims.matching.config import matching_config, proposal_threshold
from claims.matching.engine import (
    ENGINE_VERSION,
    claims_index,
    match_article,
    match_claim,
    match_claims,
    matching_rerun_project,
)
from claims.matching.waiting import match_waiting_claims, rematch_project

__all__ = [
    "ENGINE_VERSION",
    "claims_index",
    "match_article",
    "match_claim",
    "match_claims",
    "match_waiting_claims",
    "matching_config",
    "matching_rerun_project",
    "proposal_threshold",
    "rematch_project",
]
