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

from claims.matching.scorer import default_weights

# The scoring weights: the fitted scorer's coefficients (scorer.py, written by
# `manage.py fit_scorer` from the development corpus) and the fixed shape of its features.
DEFAULT_WEIGHTS: dict[str, float] = default_weights()

DEFAULTS: dict[str, Any] = {
    "match_threshold": 0.35,
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
