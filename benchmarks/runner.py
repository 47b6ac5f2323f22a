"""Orchestration of `manage.py bench`: a throwaway database around a run of every measurement.

`run()` (the command) creates a database `claimtrack_bench_<pid>` on the configured server, runs
`manage.py bench --inner` in a child process pointed at it (DATABASE_URL; its own broker
folder), prints the child's JSON result as the last line, and drops the database whatever
happened. `run_inner()` (the child) migrates, grows the synthetic project size by size, takes
the measurements and draws the chart.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from benchmarks.notes import corpus_note, notes

logger = logging.getLogger("benchmarks")

BASE_DIR = Path(__file__).resolve().parent.parent
SIZES = (10_000, 100_000, 1_000_000)
API_CLIENTS = 20


@dataclass(frozen=True)
class BenchConfig:
    passages: int
    out: Path
    skip_slow: bool = False
    seed: int = 7
    torch_threads: int = 0  # 0: the app's default (embeddings.model_threads)

    @property
    def sizes(self) -> list[int]:
        """10^4, 10^5, 10^6 up to N, and N itself (a run below 10^4 measures N only)."""
        sizes = [s for s in SIZES if s <= self.passages]
        return sizes if self.passages in sizes else [*sizes, self.passages]

    @property
    def match_samples(self) -> int:
        return 15 if self.skip_slow else 100

    @property
    def recall_queries(self) -> int:
        return 10 if self.skip_slow else 100

    @property
    def load_articles(self) -> int:
        # 30 a round: with 15, the ratio of one run moved by +-0.05 with the articles drawn
        return 3 if self.skip_slow else 90

    @property
    def export_sizes(self) -> tuple[int, int]:
        return (300, 1_500) if self.skip_slow else (10_000, 100_000)

    @property
    def api_seconds(self) -> int:
        return 5 if self.skip_slow else 45

    def argv(self) -> list[str]:
        args = ["--passages", str(self.passages), "--out", str(self.out), "--seed", str(self.seed)]
        args += ["--torch-threads", str(self.torch_threads)]
        return [*args, "--skip-slow"] if self.skip_slow else args

    def _stem(self) -> str:
        threads = f"-t{self.torch_threads}" if self.torch_threads else ""
        return f"bench-{self.passages}{threads}"

    def result_path(self) -> Path:
        return self.out / f"{self._stem()}.json"

    def chart_path(self) -> Path:
        return self.out / f"{self._stem()}.png"

    def plans_path(self) -> Path:
        return self.out / f"{self._stem()}-plans.txt"


# --- the parent: database around a child process ------------------------------------------


def _child_settings() -> str:
    """The settings the measured processes run with: the caller's, except that the test
    settings (new connection per request, MD5 hashing) become the development ones."""
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local")
    return "config.settings.local" if module == "config.settings.test" else module


# The development packages the measurements import (the `dev` extra of pyproject.toml).
DEV_PACKAGES = ("faker", "locust", "matplotlib")


def run(config: BenchConfig) -> dict[str, Any]:
    """Create the bench database, run the measurements in a child, drop it; return the result."""
    return run_child(config.argv(), config.out, config.result_path(), config.torch_threads)


def run_child(argv: list[str], out: Path, result_path: Path, torch_threads: int = 0) -> dict:
    """Run `manage.py bench --inner ARGV` against a fresh database and broker folder; return
    the JSON it wrote to `result_path`. Every workload of the bench goes through here."""
    import importlib.util

    from benchmarks.database import bench_database_name, create_database, drop_database

    missing = [name for name in DEV_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"the bench needs the development install, missing: {missing}")

    out.mkdir(parents=True, exist_ok=True)
    result_path.unlink(missing_ok=True)
    broker = Path(tempfile.mkdtemp(prefix="claimtrack-bench-broker-"))
    name = bench_database_name()
    url = create_database(name)
    connection.close()
    env = dict(os.environ, DATABASE_URL=url, CLAIMTRACK_BROKER_DIR=str(broker))
    env["DJANGO_SETTINGS_MODULE"] = _child_settings()
    env["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query in memory and slows each one
    if torch_threads:  # for the child and the loading pool's processes alike
        env["CLAIMTRACK_TORCH_THREADS"] = str(torch_threads)
    try:
        child = subprocess.run(
            [sys.executable, str(BASE_DIR / "manage.py"), "bench", "--inner", *argv],
            cwd=BASE_DIR,
            env=env,
            check=False,
        )
        if child.returncode != 0 or not result_path.exists():
            raise RuntimeError(f"the bench run failed (exit status {child.returncode})")
        return json.loads(result_path.read_text())  # type: ignore[no-any-return]
    finally:
        drop_database(name)
        shutil.rmtree(broker, ignore_errors=True)


# --- the child: every measurement --------------------------------------------------------


def setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s bench: %(message)s", "%H:%M:%S"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logging.getLogger("axes").setLevel(logging.WARNING)  # one line per session made


def _people() -> tuple[Any, list[Any]]:
    """The project (owned by one user) and API_CLIENTS editors for the load test."""
    from annotations.models import Role
    from annotations.services import membership_set, project_create

    user_model = get_user_model()
    owner = user_model.objects.create_user("bench-owner", password=None)
    project = project_create(name="Bench desk", owner=owner, description="Synthetic, throwaway.")
    editors = []
    for i in range(API_CLIENTS):
        editor = user_model.objects.create_user(f"bench-editor-{i:02d}", password=None)
        membership_set(project=project, user=editor, role=Role.EDITOR)
        editors.append(editor)
    return project, editors


def _server_facts() -> dict[str, Any]:
    facts: dict[str, Any] = {"cpus": os.cpu_count()}
    with connection.cursor() as cursor:
        for name in ("server_version", "shared_buffers", "work_mem", "max_parallel_workers"):
            cursor.execute(f"SHOW {name}")
            facts[name] = cursor.fetchone()[0]
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        facts["pgvector"] = cursor.fetchone()[0]
    return facts


def _growth_exponent(rows: list[dict[str, Any]], key: str) -> float | None:
    """Slope of log(cost) over log(size) between the smallest and largest size: < 1 is
    sub-linear growth, 1 linear."""
    import math

    if len(rows) < 2 or not rows[0][key] or not rows[-1][key]:
        return None
    a, b = rows[0], rows[-1]
    return round(math.log(b[key] / a[key]) / math.log(b["passages"] / a["passages"]), 3)


def run_inner(config: BenchConfig) -> dict[str, Any]:
    """1. Migrate the empty bench database; make the project and its people.
    2. Embed the base sentences; for each size: grow, rebuild indexes, time matching, recall.
    3. At the largest size: loading ratio (charged its share of the IVFFlat rebuild measured
       there), then the API under load, then the export.
    4. Write the JSON result and the chart."""
    from benchmarks import api_load, engine, export, fill, loading
    from benchmarks.chart import draw
    from benchmarks.corpus import NewsWriter

    setup_logging()
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    project, editors = _people()
    writer = NewsWriter(config.seed)
    base_count = min(fill.BASE_SENTENCES, config.passages)
    logger.info("embedding %d base sentences with the model", base_count)
    base = fill.embed_base(writer, base_count, cache_dir=config.out / ".cache")
    fills, latencies, recalls, plan_texts = _by_size(config, project, editors[0], writer, base)
    rebuild = _product_rebuild()
    logger.info("loading 2 x %d articles through the pipeline", config.load_articles)
    load = loading.measure_loading(
        project=project,
        writer=writer,
        articles=config.load_articles,
        rebuild=rebuild,
        seed=config.seed,
    )
    logger.info("loading: %s", load.as_dict())
    api = api_load.measure_api(
        project=project, editors=editors, seconds=config.api_seconds, users=API_CLIENTS
    )
    logger.info("API: %s", api)
    exports: dict[str, Any] = {}
    for size in config.export_sizes:
        export.grow_claims(project=project, target=size, writer=writer, seed=config.seed + size)
        exports[str(size)] = export.measure_export(project=project, user=editors[0], size=size)
    result = _assemble(config, base, fills, latencies, recalls, load.as_dict(), api, exports)
    result["engine"] = engine.describe(project)
    result["machine"] = _server_facts()
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["chart"] = str(draw(result, config.chart_path()))
    result["plans"] = str(config.plans_path())
    config.plans_path().write_text("\n".join(plan_texts))
    config.result_path().write_text(json.dumps(result, indent=1, default=str))
    return result


def _by_size(
    config: BenchConfig, project: Any, actor: Any, writer: Any, base: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """For each size: grow the project, time matching (with its slowest queries' plans) and
    measure the passage index's recall. Returns fills, latencies, recalls and plan texts."""
    from benchmarks import fill, matching, plans, recall

    rng = random.Random(config.seed)
    filler = fill.CorpusFiller(project=project, writer=writer, base=base, seed=config.seed)
    fills, latencies, recalls, plan_texts = [], [], [], []
    for size in config.sizes:
        logger.info("growing the project to %d passages", size)
        fills.append(filler.grow_to(size).as_dict())
        logger.info("matching latency at %d passages", size)
        latency = matching.measure_latency(
            project=project, actor=actor, size=size, samples=config.match_samples, rng=rng
        )
        latencies.append(latency.as_dict())
        logger.info("match at %d: %s", size, latencies[-1])
        top, plan_text = plans.slowest_queries(project=project, actor=actor, rng=rng)
        latencies[-1]["slowest_queries"] = top
        plan_texts.append(f"==== {size:,} passages ====\n{plan_text}")
        queries = recall.recall_queries(writer, base.sentences, config.recall_queries)
        recalls.append(recall.measure_recall(project=project, size=size, queries=queries).as_dict())
    return fills, latencies, recalls, plan_texts


def _product_rebuild() -> Any:
    """What the product's own rebuild of the passage index (REINDEX CONCURRENTLY, as its
    background task runs it) costs at the largest size: the loading ratio is charged its
    share."""
    from annotations.services import vector_index
    from benchmarks import loading

    logger.info("timing the product's rebuild of the passage index")
    report = vector_index.rebuild(force=True, concurrently=True)
    return (
        loading.RebuildCost(report.seconds, report.rows) if report.rebuilt else loading.NO_REBUILD
    )


def _targets(
    load: dict[str, Any],
    latencies: list[dict[str, Any]],
    growth: float | None,
    recalls: list[dict[str, Any]],
    peaks: tuple[float, float],
    api: dict[str, Any],
) -> dict[str, bool | None]:
    """The bench's targets, met or not (None: not measured at this size)."""
    at_million = next((r for r in latencies if r["passages"] == 1_000_000), None)
    return {
        "load_ratio >= 0.7": load["load_ratio"] >= 0.7,
        "match p95 < 150 ms at 10^6": at_million["p95_ms"] < 150 if at_million else None,
        "match p95 grows sub-linearly": growth < 1 if growth is not None else None,
        "hnsw_recall >= 0.95 at every size": all(r["recall"] >= 0.95 for r in recalls),
        "export memory flat": peaks[1] <= 1.5 * peaks[0] + 5,
        "api_errors == 0": api["api_errors"] == 0,
    }


def _assemble(
    config: BenchConfig,
    base: Any,
    fills: list[dict[str, Any]],
    latencies: list[dict[str, Any]],
    recalls: list[dict[str, Any]],
    load: dict[str, Any],
    api: dict[str, Any],
    exports: dict[str, Any],
) -> dict[str, Any]:
    small, large = (exports[str(s)] for s in config.export_sizes)
    real, perturbed = (sum(f[key] for f in fills) for key in ("real", "perturbed"))
    top, ann = latencies[-1], recalls[-1]
    peak_large = max(v["peak_mb"] for v in large.values())
    peak_small = max(v["peak_mb"] for v in small.values())
    growth = _growth_exponent(latencies, "p95_ms")
    targets = _targets(load, latencies, growth, recalls, (peak_small, peak_large), api)
    return {
        "passages": config.passages,
        "load_ratio": load["load_ratio"],
        "load_ratio_without_rebuild": load["load_ratio_without_rebuild"],
        "load_index_rebuild_charge_s": load["load_index_rebuild_charge_s"],
        "match_p50_ms": top["p50_ms"],
        "match_p95_ms": top["p95_ms"],
        # the passage ANN recall@k; the name stays for the checkers that read it
        "hnsw_recall": ann["recall"],
        "ann_index": ann["ann_index"],
        "ann_lists": ann["lists"],
        "ann_probes": ann["probes"],
        "export_rows_per_s": large["csv"]["rows_per_s"],
        "export_peak_mb": peak_large,
        "export_peak_mb_small": peak_small,
        "export_claims": list(config.export_sizes),
        "api_p95_ms": api["api_p95_ms"],
        "api_errors": api["api_errors"],
        "match_growth_exponent_p95": growth,
        "targets": targets,
        "match_by_size": latencies,
        "recall_by_size": recalls,
        "fill_by_size": fills,
        "loading": load,
        "api": api,
        "export_by_size": exports,
        "corpus": {
            "real_passages": real,
            "perturbed_passages": perturbed,
            "base_sentences": len(base.sentences),
            "model_sentences_per_s": round(base.sentences_per_s, 1) if not base.cached else None,
            "base_embeddings_cached": base.cached,
        },
        "notes": notes(
            config.export_sizes[1],
            config.skip_slow,
            corpus_note(real, perturbed),
            recalls,
            load,
            api,
        ),
        "config": {k: str(v) for k, v in asdict(config).items()},
    }
