"""python manage.py evaluate_matching GOLD.json [--protocol mentions|articles|both]"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from claims.matching.evaluation import evaluate, load_gold

T = TypeVar("T")


class Command(BaseCommand):
    help = (
        "Evaluate the matcher on a gold file (shared/eval/README.md format) with the `mentions` "
        "and/or `articles` protocol, in a throwaway project that is rolled back. Prints a table "
        "and, on the last line, the metrics as one JSON object."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("gold", help="Path to the gold JSON file.")
        parser.add_argument("--protocol", choices=["mentions", "articles", "both"], default="both")
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["gold"])
        if not path.is_file():
            raise CommandError(f"No gold file at {path}.")
        try:
            gold = load_gold(path)
        except (KeyError, ValueError, OSError) as exc:
            raise CommandError(f"Cannot read the gold file: {exc}") from exc
        for warning in gold.warnings:
            self.stderr.write(f"warning: {warning}")
        protocols = (
            ["mentions", "articles"] if options["protocol"] == "both" else [options["protocol"]]
        )
        quiet = options["no_progress"]
        self.detailed = options["verbosity"] > 1

        def progress(items: Iterable[T], label: str, total: int) -> Iterable[T]:
            return tqdm(items, desc=label, total=total, disable=quiet, leave=False)

        started = time.monotonic()
        metrics, reports = evaluate(gold, protocols, progress)
        elapsed = time.monotonic() - started
        self._table(gold.name, metrics, reports, elapsed, len(gold.articles), len(gold.claims))
        self.stdout.write(
            json.dumps({p: {k: round(v, 4) for k, v in m.items()} for p, m in metrics.items()})
        )

    def _table(
        self,
        name: str,
        metrics: dict[str, dict[str, float]],
        reports: dict[str, list[dict[str, Any]]],
        elapsed: float,
        n_articles: int,
        n_claims: int,
    ) -> None:
        self.stdout.write(f"Gold {name}: {n_articles} articles, {n_claims} claims; {elapsed:.1f} s")
        if "mentions" in reports:
            rows = reports["mentions"]
            self.stdout.write(
                f"mentions: {len({(r['claim'], r['from']) for r in rows})} marked mentions, "
                f"{sum(r['gold'] for r in rows)} (mention, article) pairs with a gold mention, "
                f"{sum(r['proposed'] for r in rows)} proposals, {sum(r['correct'] for r in rows)} correct"
            )
        if "articles" in reports:
            header = f"{'article':<12} {'gold claims':>11} {'found':>6} {'proposed':>9}"
            detailed = self.detailed
            self.stdout.write(header + ("  missed / proposed wrongly" if detailed else ""))
            for r in reports["articles"]:
                line = f"{r['article']:<12} {r['gold']:>11} {r['found']:>6} {r['proposed']:>9}"
                if detailed:
                    line += f"  {','.join(r['missed']) or '-'} / {','.join(r['wrong']) or '-'}"
                self.stdout.write(line)
        self.stdout.write(f"{'protocol':<10} {'metric':<14} {'value':>7}")
        for protocol, values in metrics.items():
            for key, value in values.items():
                self.stdout.write(f"{protocol:<10} {key:<14} {value:>7.3f}")
