"""Measurement 2b: recall of the HNSW retrieval against exact search, at each size.

The engine's own nearest-passage query (benchmarks.engine) runs twice per query vector: as
the engine runs it (HNSW, at the engine's hnsw.ef_search), then in a transaction with index
scans disabled, which makes PostgreSQL compute every distance (exact). Recall@k is the
overlap of the two top-k sets, averaged; recall@10 compares the first ten.

A sweep then runs the same query shape at larger ef_search values, to show what recall the
engine would get for what latency.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection, transaction

from annotations.models import Project
from annotations.services.embeddings import embed
from benchmarks import engine
from benchmarks.corpus import NewsWriter, Sentence
from benchmarks.sampling import percentile

logger = logging.getLogger("benchmarks")

# ef_search values tried beside the engine's (pgvector allows up to 1000).
SWEEP = (200, 400, 800, 1000)


def recall_queries(writer: NewsWriter, base: list[Sentence], count: int) -> np.ndarray:
    """Fresh sentences to search with: half close variants of stored ones, half new ones."""
    texts = [writer.variant(writer.rng.choice(base)).text for _ in range(count // 2)]
    texts += [writer.sentence().text for _ in range(count - len(texts))]
    return embed(texts)


@dataclass
class RecallResult:
    size: int
    k: int
    settings: dict[str, str]
    recall: float
    recall_at_10: float
    index_used: bool
    hnsw_ms: list[float]
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
            "queries": len(self.hnsw_ms),
            "hnsw_p50_ms": round(percentile(self.hnsw_ms, 50), 2),
            "hnsw_p95_ms": round(percentile(self.hnsw_ms, 95), 2),
            "exact_p50_ms": round(percentile(self.exact_ms, 50), 1),
            "ef_sweep": self.sweep,
        }


def _hnsw_scans() -> int:
    """How often the passage HNSW index has been scanned (this backend's counts flushed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = %s",
            ["passage_embedding_hnsw"],
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
    project: Project, k: int, settings: dict[str, str], queries: np.ndarray, exact: list[list[int]]
) -> list[dict[str, Any]]:
    base_ef = int(settings["ef_search"])
    rows = []
    for ef in sorted({base_ef, *SWEEP}):
        query = engine.mirror_query(project, k, ef=ef, iterative=settings["iterative_scan"])
        times: list[float] = []
        found = [_timed(query, q, times) for q in queries]
        rows.append(
            {
                "ef_search": ef,
                "recall": round(
                    float(np.mean([_overlap(f, e) for f, e in zip(found, exact, strict=True)])), 4
                ),
                "p50_ms": round(percentile(times, 50), 2),
                "p95_ms": round(percentile(times, 95), 2),
            }
        )
    return rows


def measure_recall(*, project: Project, size: int, queries: np.ndarray) -> RecallResult:
    """Recall@k and @10 of the engine's query; then the ef_search sweep."""
    k = engine.retrieval_k(project)
    nearest = engine.nearest_passages(project, k)
    settings = engine.hnsw_settings(project, k)
    hnsw_ms: list[float] = []
    exact_ms: list[float] = []
    scans = _hnsw_scans()
    approx = [_timed(nearest, q, hnsw_ms) for q in queries]
    index_used = _hnsw_scans() > scans
    exact = []
    for vector in queries:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_indexscan = off")
            exact.append(_timed(nearest, vector, exact_ms))
    pairs = list(zip(approx, exact, strict=True))
    result = RecallResult(
        size=size,
        k=k,
        settings=settings,
        recall=float(np.mean([_overlap(a, e) for a, e in pairs])),
        recall_at_10=float(np.mean([_overlap(a[:10], e[:10]) for a, e in pairs])),
        index_used=index_used,
        hnsw_ms=hnsw_ms,
        exact_ms=exact_ms,
    )
    result.sweep = _sweep(project, k, settings, queries, exact)
    logger.info(
        "recall at %d passages: %.4f@%d, %.4f@10; sweep %s",
        size,
        result.recall,
        k,
        result.recall_at_10,
        result.sweep,
    )
    return result
