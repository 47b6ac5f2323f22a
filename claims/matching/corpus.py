"""Evaluation over a corpus of gold files (one per event), and the scorer fitted on it.

- `gold_paths`: gold files from files and folders (a folder: every `gold.json` below it).
- `collect`: every event run through the engine with nothing cut away (store floor 0), giving
  each scored pair with its signals and whether it is right: the scorer's training data.
- `cross_validate`: leave one event out: fit on the others' pairs, evaluate the event left out
  with that fit (as its project's weights), so no figure comes from a model that saw the event.
- `calibration`: what the scores promise at the threshold (their mean) beside what they give
  (the share that is right).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from claims.matching import scorer
from claims.matching.config import matching_config
from claims.matching.evaluation import Gold, Progress, evaluate, load_gold

T = TypeVar("T")
Metrics = dict[str, dict[str, float]]
# Collection keeps every pair a run scores (store floor 0) and more per article than the
# review screen would, so that the fit sees the near misses the threshold must separate.
COLLECT_SETTINGS: dict[str, Any] = {"store_floor": 0.0, "store_per_article": 10}


def gold_paths(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(path.rglob("gold.json"))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def macro(per_event: Sequence[Metrics]) -> Metrics:
    """Unweighted mean of each metric over the events that have it."""
    out: Metrics = {}
    for protocol in ("mentions", "articles"):
        rows = [m[protocol] for m in per_event if protocol in m]
        if rows:
            out[protocol] = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
    return out


def calibration(pairs: Sequence[dict[str, Any]], threshold: float) -> dict[str, float]:
    """Of the pairs scored at or above the threshold: the precision their scores predict
    (mean score) and the precision observed (share right)."""
    proposed = [p for p in pairs if p["score"] >= threshold]
    if not proposed:
        return {"proposals": 0, "predicted_precision": 0.0, "observed_precision": 0.0}
    return {
        "proposals": len(proposed),
        "predicted_precision": sum(p["score"] for p in proposed) / len(proposed),
        "observed_precision": sum(p["label"] for p in proposed) / len(proposed),
    }


def collect(golds: Sequence[Gold], progress: Progress) -> dict[str, list[dict[str, Any]]]:
    """Event name -> its scored pairs (engine, both protocols, nothing cut away)."""
    pairs: dict[str, list[dict[str, Any]]] = {}
    for gold in golds:
        rows: list[dict[str, Any]] = []
        evaluate(
            gold,
            ["mentions", "articles"],
            progress,
            matching_settings=COLLECT_SETTINGS,
            collect=rows,
        )
        pairs[gold.name] = [r for r in rows if r["signals"]]
    return pairs


def fit_pairs(pairs: dict[str, list[dict[str, Any]]], version: str) -> dict[str, Any]:
    rows = [r for event in pairs.values() for r in event]
    x = scorer.feature_rows([r["signals"] for r in rows])
    return scorer.fit(x, [int(r["label"]) for r in rows], trained_on=list(pairs), version=version)


def cross_validate(
    golds: Sequence[Gold],
    protocols: list[str],
    progress: Progress,
    on_event: Callable[[Gold, Metrics, dict[str, float]], None] | None = None,
) -> tuple[list[Metrics], list[dict[str, float]]]:
    """Leave-one-event-out metrics and calibration, per event (in `golds` order)."""
    pairs = collect(golds, progress)
    threshold = float(matching_config()["match_threshold"])
    results: list[Metrics] = []
    calibrations: list[dict[str, float]] = []
    for gold in golds:
        others = {name: rows for name, rows in pairs.items() if name != gold.name}
        model = fit_pairs(others, version=f"loeo-without-{gold.name}")
        settings = {"weights": scorer.model_weights(model)}
        rows: list[dict[str, Any]] = []
        metrics, _ = evaluate(gold, protocols, progress, matching_settings=settings, collect=rows)
        results.append(metrics)
        calibrations.append(calibration(rows, threshold))
        if on_event:
            on_event(gold, metrics, calibrations[-1])
    return results, calibrations


def load_all(paths: Iterable[Path]) -> list[Gold]:
    return [load_gold(path) for path in paths]
