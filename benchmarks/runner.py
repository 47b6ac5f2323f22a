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


def run(config: BenchConfig) -> dict[str, Any]:
    """Create the bench database, run the measurements in a child, drop it; return the result."""
    from benchmarks.database import bench_database_name, create_database, drop_database

    config.out.mkdir(parents=True, exist_ok=True)
    config.result_path().unlink(missing_ok=True)
    broker = Path(tempfile.mkdtemp(prefix="claimtrack-bench-broker-"))
    name = bench_database_name()
    url = create_database(name)
    connection.close()
    env = dict(os.environ, DATABASE_URL=url, CLAIMTRACK_BROKER_DIR=str(broker))
    env["DJANGO_SETTINGS_MODULE"] = _child_settings()
    env["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query in memory and slows each one
    if config.torch_threads:  # for the child and the loading pool's processes alike
        env["CLAIMTRACK_TORCH_THREADS"] = str(config.torch_threads)
    try:
        child = subprocess.run(
            [sys.executable, str(BASE_DIR / "manage.py"), "bench", "--inner", *config.argv()],
            cwd=BASE_DIR,
            env=env,
            check=False,
        )
        if child.returncode != 0 or not config.result_path().exists():
            raise RuntimeError(f"the bench run failed (exit status {child.returncode})")
        return json.loads(config.result_path().read_text())
    finally:
        drop_database(name)
        shutil.rmtree(broker, ignore_errors=True)


# --- the child: every measurement --------------------------------------------------------


def _setup_logging() -> None:
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
    from benchmarks import api_load, engine, export, fill, loading, matching, plans, recall
    from benchmarks.chart import draw
    from benchmarks.corpus import NewsWriter

    _setup_logging()
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    project, editors = _people()
    writer = NewsWriter(config.seed)
    rng = random.Random(config.seed)
    base_count = min(fill.BASE_SENTENCES, config.passages)
    logger.info("embedding %d base sentences with the model", base_count)
    base = fill.embed_base(writer, base_count, cache_dir=config.out / ".cache")
    filler = fill.CorpusFiller(project=project, writer=writer, base=base, seed=config.seed)
    fills, latencies, recalls, plan_texts = [], [], [], []
    for size in config.sizes:
        logger.info("growing the project to %d passages", size)
        fills.append(filler.grow_to(size).as_dict())
        logger.info("matching latency at %d passages", size)
        latency = matching.measure_latency(
            project=project, actor=editors[0], size=size, samples=config.match_samples, rng=rng
        )
        latencies.append(latency.as_dict())
        logger.info("match at %d: %s", size, latencies[-1])
        top, plan_text = plans.slowest_queries(project=project, actor=editors[0], rng=rng)
        latencies[-1]["slowest_queries"] = top
        plan_texts.append(f"==== {size:,} passages ====\n{plan_text}")
        queries = recall.recall_queries(writer, base.sentences, config.recall_queries)
        recalls.append(recall.measure_recall(project=project, size=size, queries=queries).as_dict())
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


def _corpus_note(real: int, perturbed: int) -> str:
    from benchmarks.fill import BASE_SENTENCES

    if not perturbed:
        return f"All {real:,} bulk-loaded passages carry real embeddings of synthetic sentences."
    return (
        f"{real:,} passages carry real all-MiniLM-L6-v2 embeddings of synthetic sentences; "
        f"{perturbed:,} (above {BASE_SENTENCES:,}) are perturbed copies of real embeddings "
        "(Gaussian noise, renormalised, cosine 0.82-0.96 to their base) with the text of a "
        "variant of the base sentence (one or two slots re-drawn); their clause-window "
        "vectors are perturbed copies of their own vector."
    )


def _index_notes(ann: dict[str, Any], load: dict[str, Any]) -> list[str]:
    """What the passage index is, how the product maintains it and what the bench charges."""
    return [
        "The passage vector index is pgvector IVFFlat (passage_embedding_ivfflat, cosine, over "
        "the vectors cast to halfvec), not HNSW: the key hnsw_recall keeps its name for "
        "compatibility and is the recall@k of the engine's nearest-passage query through that "
        "IVFFlat index against exact search on the stored float32 vectors. "
        f"At {ann['passages']:,} passages it is built with lists = {ann['lists']} and the "
        f"engine reads ivfflat.probes = {ann['probes']} of them (iterative scan "
        f"{ann['iterative_scan']}). "
        "Claims keep their HNSW index.",
        "The product builds the IVFFlat with lists = rows / 1000 (sqrt(rows) above 10^6, one "
        "list below 10^4) and rebuilds it with more lists each time the passage table doubles "
        "(a background task, REINDEX CONCURRENTLY), so a build at N rows serves the N/2 rows "
        "added since the previous one.",
        "IVFFlat and GIN indexes are dropped before each bulk load and rebuilt after it (the "
        "IVFFlat with the lists for the rows then in the table, as the product's rebuild leaves "
        "it); loading-pipeline articles insert into the live indexes.",
        "load_ratio and load_ratio_sequential include the amortized rebuild: the product's "
        "rebuild (ANALYZE + REINDEX CONCURRENTLY, annotations.services.vector_index.rebuild) "
        f"timed at {load['load_index_rebuild_rows']:,} rows "
        f"({load['load_index_rebuild_build_s']} s) x passages loaded / (rows / 2), "
        f"{load['load_index_rebuild_charge_s']} s on the pool's run; without it: "
        f"{load['load_ratio_without_rebuild']} and {load['load_ratio_sequential_without_rebuild']}.",
    ]


def _exact_note(recalls: list[dict[str, Any]]) -> list[str]:
    """Where the planner chose not to use the IVFFlat index, recall is exact search's: say so."""
    unused = [
        f"{r['passages']:,} ({r['probes']} of {r['lists']} lists)"
        for r in recalls
        if not r["index_used"]
    ]
    if not unused:
        return []
    return [
        "The planner did not use the IVFFlat index for the engine's query at "
        f"{', '.join(unused)} passages (reading most lists costs more than a scan), so "
        "hnsw_recall there is that of exact search, not of the index."
    ]


def _notes(
    config: BenchConfig,
    corpus_note: str,
    recalls: list[dict[str, Any]],
    load: dict[str, Any],
    api: dict[str, Any],
) -> list[str]:
    from annotations.services.processing import PROCESS_BATCH
    from claims.matching import parallel
    from claims.matching.engine import MATCH_BATCH

    ann = recalls[-1]
    notes = [
        corpus_note,
        *_index_notes(ann, load),
        *_exact_note(recalls),
        "Matching latency = annotation_create + claims.matching.match_claim in-process, as "
        "the web request and the worker run them; match_claim reads and scores the claim's "
        "links to other claims beside its passages', on a reader thread with its own "
        "connection (claims.matching.parallel, "
        f"CLAIMTRACK_MATCHING_THREADS = {parallel.threads()}), as in the worker; "
        "breakdown.db_beside_ms is that thread's database time, which overlaps the rest.",
        f"load_ratio: the pipeline in {load['load_workers']} processes (as the Celery worker "
        "runs, -c 2), each embedding on its share of the cores, against the model alone on all "
        "cores; storing, processing and matching are separate tasks in the order a bulk load "
        f"gives the worker's queue; a processing task embeds up to {PROCESS_BATCH} articles "
        f"waiting then in one model pass, a matching task matches up to {MATCH_BATCH}; "
        "load_ratio_sequential: one article after another in one process, each matched alone.",
        "load_ratio_ceiling_store_index: the sequential load ratio if only the model and the "
        "database time of storing and indexing the passages (rows, IVFFlat and GIN inserts, "
        f"{load.get('load_store_index_ms_per_passage', '?')} ms per passage, plus the amortized "
        f"rebuild, {load.get('load_index_rebuild_ms_per_passage', '?')} ms per passage) cost "
        "anything.",
        f"API measured with {api['api_setup']['note']}; no Celery worker ran during it.",
        "Headline keys: match_* and hnsw_recall (IVFFlat, see above) at the largest size; "
        f"export_* at {config.export_sizes[1]:,} claims (rows/s of CSV, peak = worst format); "
        "api_p95_ms = the worst endpoint's p95.",
    ]
    if config.skip_slow:
        notes.append("--skip-slow: small samples; figures are a smoke test, not a benchmark.")
    return notes


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
    real = sum(f["real"] for f in fills)
    perturbed = sum(f["perturbed"] for f in fills)
    top, ann = latencies[-1], recalls[-1]
    peak_large = max(v["peak_mb"] for v in large.values())
    peak_small = max(v["peak_mb"] for v in small.values())
    growth = _growth_exponent(latencies, "p95_ms")
    at_million = next((r for r in latencies if r["passages"] == 1_000_000), None)
    targets = {
        "load_ratio >= 0.7": load["load_ratio"] >= 0.7,
        "match p95 < 150 ms at 10^6": at_million["p95_ms"] < 150 if at_million else None,
        "match p95 grows sub-linearly": growth < 1 if growth is not None else None,
        "hnsw_recall >= 0.95 at every size": all(r["recall"] >= 0.95 for r in recalls),
        "export memory flat": peak_large <= 1.5 * peak_small + 5,
        "api_errors == 0": api["api_errors"] == 0,
    }
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
        "notes": _notes(config, _corpus_note(real, perturbed), recalls, load, api),
        "config": {k: str(v) for k, v in asdict(config).items()},
    }
