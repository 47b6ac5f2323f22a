"""python manage.py fit_scorer [GOLD.json|FOLDER...] [--out FILE] [--model-version V]"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from claims.matching import scorer
from claims.matching.config import matching_config
from claims.matching.corpus import calibration, collect, fit_pairs, gold_paths, load_all
from claims.matching.scoring import FEATURES

T = TypeVar("T")
CORPUS = Path(__file__).resolve().parents[3] / "fixtures" / "eval"


class Command(BaseCommand):
    help = (
        "Fit the matcher's scorer (a logistic regression over the pair signals) on gold files "
        "(default: the development corpus in fixtures/eval) and write it as the shipped model "
        "file. Evaluate it with `evaluate_matching --cross-validate` (leave-one-event-out)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "gold", nargs="*", help="Gold files or folders (default: fixtures/eval)."
        )
        parser.add_argument("--out", help=f"Model file to write (default: {scorer.MODEL_FILE}).")
        parser.add_argument(
            "--model-version", default="fitted-1", help="Version recorded in the file."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = gold_paths(options["gold"] or [CORPUS])
        if not paths:
            raise CommandError("No gold files found.")
        golds = load_all(paths)
        quiet = options["no_progress"]

        def progress(items: Iterable[T], label: str, total: int) -> Iterable[T]:
            return tqdm(items, desc=label, total=total, disable=quiet, leave=False)

        pairs = collect(golds, progress)
        try:
            model = fit_pairs(pairs, version=options["model_version"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        rows = [r for event in pairs.values() for r in event]
        scores = scorer.probabilities(model, scorer.feature_rows([r["signals"] for r in rows]))
        threshold = float(matching_config()["match_threshold"])
        fitted = [{**r, "score": s} for r, s in zip(rows, scores, strict=True)]
        model["calibration_in_sample"] = {
            k: round(v, 4) for k, v in calibration(fitted, threshold).items()
        }
        out = Path(options["out"] or scorer.MODEL_FILE)
        out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        self.stdout.write(
            f"Fitted on {model['pairs']} pairs ({model['positives']} right) of {len(golds)} events."
        )
        for name in FEATURES:
            self.stdout.write(f"  {name:<16} {model['coefficients'][name]:>9.3f}")
        self.stdout.write(f"  {'intercept':<16} {model['intercept']:>9.3f}")
        self.stdout.write(f"Wrote {out}")
        self.stdout.write(json.dumps({"model": str(out), **model["calibration_in_sample"]}))
