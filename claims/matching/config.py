"""Matching thresholds and weights: engine defaults < settings.CLAIMTRACK_MATCHING <
Project.matching_settings. Unknown keys are ignored; weights merge key by key.

What the thresholds mean (the review queue and the evaluation both rely on this):
- a candidate whose score is at or above `match_threshold` is a *proposal*: it is what the
  review queue shows and what the evaluation counts for precision and recall;
- candidates between `store_floor` and `match_threshold` are stored too (pending), at most
  `store_per_article` per claim and article, so a claim page can rank "possible" matches and the
  evaluation can measure recall@k; the review queue filters them out with `score >= threshold`;
- below `store_floor` nothing is stored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

# The scoring weights (see scoring.py for the formula), kept to round values on a coarse grid
# rather than fitted to one story: wording (lexical) and its agreement with meaning weigh more
# than the embedding alone; a contradicted number or date outweighs even a near-verbatim
# wording (different truth conditions: not the same claim), a merely absent one costs less.
DEFAULT_WEIGHTS: dict[str, float] = {
    "semantic": 0.2,
    "semantic_floor": 0.3,
    "semantic_ceiling": 0.85,
    "lexical": 0.8,
    "content_share": 0.5,
    "passage_coverage_share": 0.2,
    "agreement": 0.6,
    "quote": 0.2,
    "detail_match": 0.05,
    "detail_conflict": 1.0,
    "detail_missing": 0.2,
    "actor_missing": 0.2,
    "actor_conflict": 0.3,
    "steepness": 10.0,
    "bias": 0.6,
    # A second passage of the same article keeps only this share less of its score: articles
    # rarely state a claim twice, so the best passage is the proposal.
    "redundancy": 0.5,
}

DEFAULTS: dict[str, Any] = {
    "match_threshold": 0.5,
    "store_floor": 0.1,
    "store_per_article": 5,
    # claim-to-claim proposals (merge / same-as) need more than a passage match: two tracked
    # claims are only proposed as the same when they are near paraphrases.
    "claim_threshold": 0.7,
    # Candidate generation: passages per query vector (pgvector) and per full-text query.
    "retrieval_k": 50,
    # match_article: tracked claims retrieved per passage of the new article.
    "claims_per_passage": 20,
    # Read name pairs the articles themselves give ("X, known as Y") as aliases.
    "discover_aliases": True,
    "weights": DEFAULT_WEIGHTS,
}


def matching_config(project_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The effective configuration for a project (pass `project.matching_settings`)."""
    config = {**DEFAULTS, "weights": dict(DEFAULT_WEIGHTS)}
    for layer in (getattr(settings, "CLAIMTRACK_MATCHING", None) or {}, project_settings or {}):
        for key, value in layer.items():
            if key == "weights" and isinstance(value, dict):
                config["weights"].update(
                    {k: float(v) for k, v in value.items() if k in DEFAULT_WEIGHTS}
                )
            elif key in DEFAULTS and key != "weights":
                config[key] = type(DEFAULTS[key])(value)
    return config


def proposal_threshold(project_settings: dict[str, Any] | None = None) -> float:
    """The score from which a pending candidate is a proposal the review queue shows."""
    return float(matching_config(project_settings)["match_threshold"])
