"""`manage.py bench --passages N [--out DIR] [--skip-slow]`: the performance benchmark;
`manage.py bench --workload editors [--articles N --span-writes N --views N]`: the editors'
workload over HTTP (benchmarks.editors), its readable figures printed above the JSON line.

Builds a throwaway synthetic project of N passages in its own database, measures loading,
matching latency and the recall of the passage vector index (IVFFlat; the key keeps the name
hnsw_recall), the claim-table export and the annotation API under load,
writes a PNG chart to DIR and prints one JSON object as its last line. The work is in
benchmarks/ (see benchmarks.runner), beside the product: this command only parses the
arguments, and imports the bench (which needs the `dev` extra: Faker, locust, matplotlib) only
when it runs, so a production install lists it without having them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Benchmark Claimtrack on a synthetic project of N passages; prints JSON last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workload",
            choices=("passages", "editors"),
            default="passages",
            help="passages: the synthetic project of --passages N; editors: a desk of clients "
            "over HTTP.",
        )
        parser.add_argument("--passages", type=int, help="Project size N (passages workload).")
        parser.add_argument("--articles", type=int, default=1_000, help="Editors: articles.")
        parser.add_argument("--span-writes", type=int, default=10_000, help="Editors: spans.")
        parser.add_argument("--views", type=int, default=5_000, help="Editors: article views.")
        parser.add_argument("--clients", type=int, default=20, help="Editors: clients.")
        parser.add_argument(
            "--process-timeout",
            type=int,
            default=3_600,
            help="Editors: seconds to wait for every article to be processed.",
        )
        parser.add_argument(
            "--out", default="bench-results", help="Folder for the chart and the JSON result."
        )
        parser.add_argument(
            "--skip-slow",
            action="store_true",
            help="Small samples (smoke test): few match samples, small export, 5 s of API load.",
        )
        parser.add_argument("--seed", type=int, default=7, help="Seed of the synthetic corpus.")
        parser.add_argument(
            "--torch-threads",
            type=int,
            default=0,
            help="torch.set_num_threads in the measured process (0: the app's default).",
        )
        # The child process run() starts against the throwaway database.
        parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workload"] == "editors":
            self._editors(options)
            return
        if options["passages"] is None:
            raise CommandError("--passages is required (or choose --workload editors).")
        if options["passages"] < 500:
            raise CommandError("--passages must be at least 500.")
        try:
            from benchmarks.runner import BenchConfig, run, run_inner
        except ImportError as exc:  # the bench is a development tool: say what is missing
            raise CommandError(
                f"The bench needs the development install (pip install -e '.[dev]'): {exc}"
            ) from exc
        config = BenchConfig(
            passages=options["passages"],
            out=Path(options["out"]).resolve(),
            skip_slow=options["skip_slow"],
            seed=options["seed"],
            torch_threads=options["torch_threads"],
        )
        if options["inner"]:
            run_inner(config)
            return
        try:
            result = run(config)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result, default=str))

    def _editors(self, options: dict[str, Any]) -> None:
        counts = {k: options[k] for k in ("articles", "span_writes", "views", "clients")}
        if min(counts.values()) < 1:
            raise CommandError("--articles, --span-writes, --views and --clients must be >= 1.")
        try:
            from benchmarks.editors import EditorsConfig, run, run_inner
            from benchmarks.editors_report import readable
        except ImportError as exc:
            raise CommandError(
                f"The bench needs the development install (pip install -e '.[dev]'): {exc}"
            ) from exc
        config = EditorsConfig(
            out=Path(options["out"]).resolve(),
            seed=options["seed"],
            process_timeout_s=options["process_timeout"],
            **counts,
        )
        if options["inner"]:
            run_inner(config)
            return
        try:
            result = run(config)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(readable(result))
        self.stdout.write(json.dumps(result, default=str))
