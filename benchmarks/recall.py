"""Measurement 2b: recall of the passage ANN retrieval (pgvector IVFFlat) against exact search,
at each size.

The engine's own nearest-passage query (benchmarks.engine) runs as the engine runs it
(IVFFlat over the vectors cast to halfvec, at the engine's ivfflat.probes); the truth is exact
search on the stored float32 vectors with index scans disabled, which makes PostgreSQL compute
every distance, so recall counts the half precision too. Recall@k is the overlap of the two
top-k sets, averaged; recall@10 compares the first ten.

A sweep then runs the same query shape at other probes, to show what recall the engine would
get for what latency.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection

from annotations.models import Project
from annotations.services.embeddings import embed
from annotations.services.vector_index import INDEX_NAME
from benchmarks import engine
from benchmarks.corpus import NewsWriter, Sentence
from benchmarks.sampling import percentile

logger = logging.getLogger("benchmarks")

# ivfflat.probes tried beside the engine's, each capped at the index's lists (all of them: exact).
SWEEP = (5, 10, 20, 40, 80)


def recall_queries(writer: NewsWriter, base: list[Sentence], count: int) -> np.ndarray:
    """Fresh sentences to search with: half close variants of stored ones, half new ones."""
    texts = [writer.variant(writer.rng.choice(base)).text for _ in range(count // 2)]
    texts += [writer.sentence().text for _ in range(count - len(texts))]
    return embed(texts)


@dataclass
class RecallResult:
    size: int
    k: int
    settings: dict[str, Any]  # engine.ann_settings: ann_index, lists, probes, iterative_scan
    recall: float
    recall_at_10: float
    index_used: bool
    ann_ms: list[float]
    exact_ms: list[float]
    sweep: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passages": self.size,
            "k": self.k,
            **self.settings,
            "recall": round(self.recall, 4),
            "recall_at_10": round(self.recall_at_10, 4),
            "index_used": self.index_used,
            "queries": len(self.ann_ms),
            "ann_p50_ms": round(percentile(self.ann_ms, 50), 2),
            "ann_p95_ms": round(percentile(self.ann_ms, 95), 2),
            "exact_p50_ms": round(percentile(self.exact_ms, 50), 1),
            "probes_sweep": self.sweep,
        }


def _ann_scans() -> int:
    """How often the passage IVFFlat index has been scanned (this backend's counts flushed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = %s",
            [INDEX_NAME],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _timed(query: Any, vector: np.ndarray, times: list[float]) -> list[int]:
    t0 = time.perf_counter()
    ids = list(query(vector))
    times.append((time.perf_counter() - t0) * 1000)
    return ids


def _overlap(found: list[int], truth: list[int]) -> float:
    return len(set(found) & set(truth)) / max(1, len(truth))


def _sweep(
    project: Project, k: int, settings: dict[str, Any], queries: np.ndarray, exact: list[list[int]]
) -> list[dict[str, Any]]:
    lists = settings["lists"] or 1
    rows = []
    for probes in sorted({settings["probes"], *(min(p, lists) for p in SWEEP)}):
        query = engine.mirror_query(project, k, probes=probes, iterative=settings["iterative_scan"])
        times: list[float] = []
        scans = _ann_scans()
        found = [_timed(query, q, times) for q in queries]
        rows.append(
            {
                "probes": probes,
                "index_used": _ann_scans() > scans,  # probing every list, a scan is cheaper
                "recall": round(
                    float(np.mean([_overlap(f, e) for f, e in zip(found, exact, strict=True)])), 4
                ),
                "p50_ms": round(percentile(times, 50), 2),
                "p95_ms": round(percentile(times, 95), 2),
            }
        )
    return rows


def measure_recall(*, project: Project, size: int, queries: np.ndarray) -> RecallResult:
    """Recall@k and @10 of the engine's query; then the probes sweep."""
    k = engine.retrieval_k(project)
    nearest = engine.nearest_passages(project, k)
    settings = engine.ann_settings(project, k)
    ann_ms: list[float] = []
    exact_ms: list[float] = []
    scans = _ann_scans()
    approx = [_timed(nearest, q, ann_ms) for q in queries]
    index_used = _ann_scans() > scans
    truth = engine.exact_passages(project, k)
    exact = [_timed(truth, vector, exact_ms) for vector in queries]
    pairs = list(zip(approx, exact, strict=True))
    result = RecallResult(
        size=size,
        k=k,
        settings=settings,
        recall=float(np.mean([_overlap(a, e) for a, e in pairs])),
        recall_at_10=float(np.mean([_overlap(a[:10], e[:10]) for a, e in pairs])),
        index_used=index_used,
        ann_ms=ann_ms,
        exact_ms=exact_ms,
    )
    result.sweep = _sweep(project, k, settings, queries, exact)
    logger.info(
        "recall at %d passages (%d lists, %d probes): %.4f@%d, %.4f@10; sweep %s",
        size,
        settings["lists"] or 0,
        settings["probes"],
        result.recall,
        k,
        result.recall_at_10,
        result.sweep,
    )
    return result
