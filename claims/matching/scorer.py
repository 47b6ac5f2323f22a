"""The fitted scorer: a logistic regression over the pair features of scoring.FEATURES.

The model is a small JSON file (`scorer.json` beside this module, or
settings.CLAIMTRACK_SCORER_FILE) written by `manage.py fit_scorer` from the development corpus.
A logistic regression's output is a probability: with the model fitted on the pairs the engine
really scores, a score of 0.7 means about 7 in 10 such pairs are the same claim, so the proposal
threshold reads as a probability. Its coefficients are the engine's weights
(score = sigmoid(sum(weight * feature) - bias), steepness 1), so the bounds that let the engine
skip hopeless pairs and the review screen's per-signal shares work as before.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from claims.matching.scoring import AGAINST, FEATURES

MODEL_FILE = Path(__file__).with_name("scorer.json")
# Fixed before fitting: they shape the features (scoring.features), the fit weighs them.
SHAPE: dict[str, float] = {
    "semantic_floor": 0.3,
    "semantic_ceiling": 0.85,
    "content_share": 0.5,
    "passage_coverage_share": 0.2,
    # A second passage of the same article keeps only this share less of its score: articles
    # rarely state a claim twice, so the best passage is the proposal.
    "redundancy": 0.5,
}
# Features that must not count against a pair: the engine's score bounds assume every
# wording term grows with its evidence.
NON_NEGATIVE = ("semantic", "lexical", "agreement", "quote")
# Inverse regularisation strength of the logistic regression.
REGULARISATION_C = 1.0


def model_path() -> Path:
    return Path(getattr(settings, "CLAIMTRACK_SCORER_FILE", None) or MODEL_FILE)


@cache
def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_model() -> dict[str, Any]:
    """The shipped model (read once per process)."""
    return _read(model_path())


def model_weights(model: dict[str, Any]) -> dict[str, float]:
    """The engine's weights from a model: each coefficient signed as the evidence uses it
    (a weight of an AGAINST feature is subtracted), plus the fixed shape parameters."""
    weights = dict(SHAPE)
    weights.update(model.get("shape", {}))
    for name in FEATURES:
        coefficient = float(model["coefficients"].get(name, 0.0))
        weights[name] = -coefficient if name in AGAINST else coefficient
    weights["steepness"] = 1.0
    weights["bias"] = -float(model["intercept"])
    return weights


def default_weights() -> dict[str, float]:
    return model_weights(load_model())


def feature_rows(signal_dicts: Sequence[dict[str, Any]]) -> list[list[float]]:
    """The feature vectors of stored candidates' signals (MatchCandidate.signals)."""
    from claims.matching.scoring import features
    from claims.matching.signals import PairSignals

    rows = []
    for s in signal_dicts:
        signals = PairSignals(
            semantic=float(s["semantic"]),
            lexical=s["lexical"],
            numbers=s["numbers"],
            dates=s["dates"],
            actors=s["actors"],
            quote=float(s["quote"]),
        )
        values = features(signals, SHAPE)
        rows.append([values[name] for name in FEATURES])
    return rows


def fit(
    x: Sequence[Sequence[float]], y: Sequence[int], *, trained_on: Sequence[str], version: str
) -> dict[str, Any]:
    """Fit the logistic regression; a wording feature that comes out negative is dropped and
    the rest refitted (see NON_NEGATIVE)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=int)
    if len(set(ys.tolist())) < 2:
        raise ValueError("Fitting needs both matching and non-matching pairs.")
    kept = list(range(len(FEATURES)))
    while True:
        model = LogisticRegression(C=REGULARISATION_C, max_iter=5000)
        model.fit(xs[:, kept], ys)
        coefficients = dict(zip((FEATURES[i] for i in kept), model.coef_[0].tolist(), strict=True))
        negative = [
            i for i in kept if FEATURES[i] in NON_NEGATIVE and coefficients[FEATURES[i]] < 0
        ]
        if not negative:
            break
        kept.remove(negative[0])
    return {
        "version": version,
        "model": "scikit-learn LogisticRegression over claims.matching.scoring.FEATURES",
        "regularisation_c": REGULARISATION_C,
        "shape": SHAPE,
        # The regression's own coefficients: negative for evidence against a pair.
        "coefficients": {name: round(coefficients.get(name, 0.0), 5) for name in FEATURES},
        "intercept": round(float(model.intercept_[0]), 5),
        "trained_on": sorted(trained_on),
        "pairs": len(ys),
        "positives": int(ys.sum()),
    }


def probabilities(model: dict[str, Any], x: Sequence[Sequence[float]]) -> list[float]:
    """The model's score of feature rows (what the engine computes for the same pairs)."""
    import math

    beta = [float(model["coefficients"].get(name, 0.0)) for name in FEATURES]
    intercept = float(model["intercept"])
    return [
        1.0 / (1.0 + math.exp(-(intercept + sum(b * v for b, v in zip(beta, row, strict=True)))))
        for row in x
    ]
