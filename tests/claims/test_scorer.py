"""The fitted scorer: what it learns, that the engine scores a pair exactly as the model file
says, and that fit_scorer writes a model the engine can load."""

from __future__ import annotations

import io
import json
import random

from django.core.management import call_command

from claims.matching import scorer
from claims.matching.scoring import FEATURES, features, score
from claims.matching.signals import PairSignals
from tests.claims.test_evaluate_matching import write_gold


def _signals(semantic: float, coverage: float, missing_actor: bool = False) -> PairSignals:
    none: dict[str, list[str]] = {"match": [], "conflict": [], "missing": []}
    return PairSignals(
        semantic=semantic,
        lexical={
            "query_coverage": coverage,
            "content_coverage": coverage,
            "passage_coverage": coverage,
            "shared": [],
        },
        numbers=none,
        dates=none,
        actors={
            "match": [],
            "variant": [],
            "missing": ["someone"] if missing_actor else [],
            "conflict": [],
        },
        quote=0.0,
    )


def _synthetic(n: int = 600) -> tuple[list[list[float]], list[int]]:
    """Pairs whose chance of being right grows with the cosine and falls with a missing actor."""
    rng = random.Random(7)
    x, y = [], []
    for _ in range(n):
        semantic, coverage, missing = rng.random(), rng.random(), rng.random() < 0.3
        values = features(_signals(semantic, coverage, missing), scorer.SHAPE)
        p = 0.05 + 0.9 * values["semantic"] * (0.3 if missing else 1.0)
        x.append([values[f] for f in FEATURES])
        y.append(int(rng.random() < p))
    return x, y


def test_fit_learns_the_direction_of_each_signal_and_is_calibrated() -> None:
    x, y = _synthetic()
    model = scorer.fit(x, y, trained_on=["synthetic"], version="test")
    assert model["coefficients"]["semantic"] > 0
    assert model["coefficients"]["actor_missing"] < 0  # evidence against
    predicted = scorer.probabilities(model, x)
    high = [(p, label) for p, label in zip(predicted, y, strict=True) if p >= 0.5]
    assert high
    mean_predicted = sum(p for p, _ in high) / len(high)
    observed = sum(label for _, label in high) / len(high)
    assert abs(mean_predicted - observed) < 0.08


def test_a_wording_feature_fitted_negative_is_dropped() -> None:
    x, y = _synthetic()
    # make quote anti-correlated with being right
    lookup = FEATURES.index("quote")
    for row, label in zip(x, y, strict=True):
        row[lookup] = 0.0 if label else 1.0
    model = scorer.fit(x, y, trained_on=["synthetic"], version="test")
    assert model["coefficients"]["quote"] == 0.0
    assert all(model["coefficients"][f] >= 0 for f in scorer.NON_NEGATIVE)


def test_the_engine_scores_a_pair_as_the_model_file_says() -> None:
    x, y = _synthetic()
    model = scorer.fit(x, y, trained_on=["synthetic"], version="test")
    weights = scorer.model_weights(model)
    for semantic, coverage, missing in [(0.9, 0.8, False), (0.5, 0.2, True), (0.2, 0.9, False)]:
        signals = _signals(semantic, coverage, missing)
        engine, _ = score(signals, weights)
        values = features(signals, scorer.SHAPE)
        (expected,) = scorer.probabilities(model, [[values[f] for f in FEATURES]])
        assert abs(engine - expected) < 1e-9


def test_fit_scorer_writes_a_model_file_from_gold(db, tmp_path) -> None:
    out_file = tmp_path / "model.json"
    out = io.StringIO()
    call_command(
        "fit_scorer", str(write_gold(tmp_path)), "--out", str(out_file), "--no-progress", stdout=out
    )
    model = json.loads(out_file.read_text())
    assert model["trained_on"] == ["test-gold"]
    assert model["pairs"] > model["positives"] > 0
    assert set(model["coefficients"]) == set(FEATURES)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["model"] == str(out_file)
    weights = scorer.model_weights(model)
    assert weights["steepness"] == 1.0 and weights["bias"] == -model["intercept"]
