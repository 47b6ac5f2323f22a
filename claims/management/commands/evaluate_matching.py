"""python manage.py evaluate_matching GOLD.json|FOLDER... [--protocol mentions|articles|both]
[--baseline embedding|tfidf] [--cross-validate]"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from claims.matching.baselines import BASELINES
from claims.matching.corpus import cross_validate, gold_paths, macro
from claims.matching.evaluation import Gold, evaluate, load_gold

T = TypeVar("T")


def _rounded(metrics: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {p: {k: round(v, 4) for k, v in m.items()} for p, m in metrics.items()}


class Command(BaseCommand):
    help = (
        "Evaluate the matcher on gold files (shared/eval/README.md format; a folder stands for "
        "every gold.json below it) with the `mentions` and/or `articles` protocol, each in a "
        "throwaway project that is rolled back. Prints a table per file and, on the last line, "
        "the metrics as one JSON object (macro-averaged over the files, with each file's under "
        "`events`). --baseline ranks with a plain cosine instead of the engine; "
        "--cross-validate fits the scorer leaving each event out and evaluates that event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("gold", nargs="+", help="Gold JSON files or folders.")
        parser.add_argument("--protocol", choices=["mentions", "articles", "both"], default="both")
        parser.add_argument("--baseline", choices=sorted(BASELINES), help="Rank by a plain cosine.")
        parser.add_argument(
            "--cross-validate",
            action="store_true",
            help="Leave-one-event-out: the scorer is fitted on the other files for each file.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = gold_paths(options["gold"])
        golds: list[Gold] = []
        for path in paths:
            if not path.is_file():
                raise CommandError(f"No gold file at {path}.")
            try:
                gold = load_gold(path)
            except (KeyError, ValueError, OSError) as exc:
                raise CommandError(f"Cannot read the gold file {path}: {exc}") from exc
            for warning in gold.warnings:
                self.stderr.write(f"warning: {gold.name}: {warning}")
            golds.append(gold)
        if len({g.name for g in golds}) < len(golds):
            raise CommandError("Two gold files share a name; names must be unique.")
        if options["cross_validate"] and (options["baseline"] or len(golds) < 2):
            raise CommandError("--cross-validate needs two or more gold files and no --baseline.")
        protocols = (
            ["mentions", "articles"] if options["protocol"] == "both" else [options["protocol"]]
        )
        quiet = options["no_progress"]
        self.detailed = options["verbosity"] > 1

        def progress(items: Iterable[T], label: str, total: int) -> Iterable[T]:
            return tqdm(items, desc=label, total=total, disable=quiet, leave=False)

        started = time.monotonic()
        per_event: dict[str, dict[str, dict[str, float]]] = {}
        if options["cross_validate"]:

            def report(
                gold: Gold, metrics: dict[str, dict[str, float]], cal: dict[str, float]
            ) -> None:
                per_event[gold.name] = {**metrics, "calibration": cal}
                self._table(gold, metrics, {}, time.monotonic() - started)
                self.stdout.write(
                    f"calibration at the threshold: {cal['proposals']} proposals, predicted "
                    f"precision {cal['predicted_precision']:.3f}, observed {cal['observed_precision']:.3f}"
                )

            cross_validate(golds, protocols, progress, on_event=report)
        else:
            for gold in golds:
                file_started = time.monotonic()
                metrics, reports = evaluate(gold, protocols, progress, baseline=options["baseline"])
                per_event[gold.name] = metrics
                self._table(gold, metrics, reports, time.monotonic() - file_started)
        summary: dict[str, Any] = _rounded(macro([m for m in per_event.values()]))
        if len(golds) > 1:
            self.stdout.write(f"macro-average over {len(golds)} files:")
            self._metrics(summary)
            summary["events"] = {
                name: {p: ({k: round(v, 4) for k, v in m.items()}) for p, m in metrics.items()}
                for name, metrics in per_event.items()
            }
        if options["baseline"]:
            summary["baseline"] = options["baseline"]
        if options["cross_validate"]:
            summary["cross_validated"] = "leave-one-event-out"
        self.stdout.write(json.dumps(summary))

    def _table(
        self,
        gold: Gold,
        metrics: dict[str, dict[str, float]],
        reports: dict[str, list[dict[str, Any]]],
        elapsed: float,
    ) -> None:
        self.stdout.write(
            f"Gold {gold.name}: {len(gold.articles)} articles, {len(gold.claims)} claims; {elapsed:.1f} s"
        )
        if "mentions" in reports:
            rows = reports["mentions"]
            self.stdout.write(
                f"mentions: {len({(r['claim'], r['from']) for r in rows})} marked mentions, "
                f"{sum(r['gold'] for r in rows)} (mention, article) pairs with a gold mention, "
                f"{sum(r['proposed'] for r in rows)} proposals, {sum(r['correct'] for r in rows)} correct"
            )
        if "articles" in reports and self.detailed:
            header = f"{'article':<12} {'gold claims':>11} {'found':>6} {'proposed':>9}"
            self.stdout.write(header + "  missed / proposed wrongly")
            for r in reports["articles"]:
                line = f"{r['article']:<12} {r['gold']:>11} {r['found']:>6} {r['proposed']:>9}"
                line += f"  {','.join(r['missed']) or '-'} / {','.join(r['wrong']) or '-'}"
                self.stdout.write(line)
        self._metrics(metrics)

    def _metrics(self, metrics: dict[str, dict[str, float]]) -> None:
        self.stdout.write(f"{'protocol':<10} {'metric':<14} {'value':>7}")
        for protocol, values in metrics.items():
            for key, value in values.items():
                self.stdout.write(f"{protocol:<10} {key:<14} {value:>7.3f}")
