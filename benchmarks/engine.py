"""What the bench needs from the matching engine's retrieval, read from the engine itself so the
recall is measured on the engine's own query at the engine's own settings.

- k: `claims.matching.config.matching_config(project settings)["retrieval_k"]`;
- the nearest-passages query: `claims.matching.retrieval.passages_for_claim` with no texts
  (its semantic half alone), which sets ivfflat.probes / iterative scan as the engine does;
- probes: what that query set, read back inside the same transaction.

The passage index is IVFFlat (annotations.services.vector_index); claims keep HNSW, whose
settings the engine sets in the same statement and `engine_settings` reads back too (plans.py
replays them all). If the engine lacks these (older engine), the bench falls back to its own
query at pgvector's default probes and says so in `describe()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
from django.db import connection, transaction

from annotations.models import EMBEDDING_DIM, Project
from annotations.services import vector_index

FALLBACK_K = 100
# The settings the engine's searches change, read back after its query (None: not set).
ENGINE_SETTINGS = (
    "ivfflat.probes",
    "ivfflat.iterative_scan",
    "hnsw.ef_search",
    "hnsw.iterative_scan",
)

_NEAREST_SQL = (
    "SELECT p.id FROM annotations_passage p JOIN annotations_article a ON a.id = p.article_id "
    "WHERE a.project_id = %s AND p.embedding IS NOT NULL ORDER BY {order} LIMIT %s"
)
# As the passage index is built (annotations.models.half_embedding): the index serves it.
_FALLBACK_SQL = _NEAREST_SQL.format(
    order=f"(p.embedding::halfvec({EMBEDDING_DIM})) <=> %s::halfvec({EMBEDDING_DIM})"
)
# On the stored float32 vectors, every distance computed: the truth recall is measured against.
_EXACT_SQL = _NEAREST_SQL.format(order="p.embedding <=> %s::vector")


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def retrieval_k(project: Project) -> int:
    config = _module("claims.matching.config")
    if config is None or not hasattr(config, "matching_config"):
        return FALLBACK_K
    return int(config.matching_config(project.matching_settings).get("retrieval_k", FALLBACK_K))


def nearest_passages(project: Project, k: int) -> Callable[[np.ndarray], list[int]]:
    """The engine's semantic retrieval for one vector: ids of the k nearest passages."""
    retrieval = _module("claims.matching.retrieval")
    if retrieval is not None and hasattr(retrieval, "passages_for_claim"):

        def engine_query(vector: np.ndarray) -> list[int]:
            return list(
                retrieval.passages_for_claim(project_id=project.pk, vectors=[vector], texts=[], k=k)
            )

        return engine_query

    def fallback_query(vector: np.ndarray) -> list[int]:
        literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
        with connection.cursor() as cursor:
            cursor.execute(_FALLBACK_SQL, [project.pk, literal, k])
            return [row[0] for row in cursor.fetchall()]

    return fallback_query


def mirror_query(
    project: Project, k: int, *, probes: int, iterative: str
) -> Callable[[np.ndarray], list[int]]:
    """The engine's nearest-passage query shape at a chosen ivfflat.probes (for the sweep)."""

    def query(vector: np.ndarray) -> list[int]:
        literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('ivfflat.probes', %s, true)", [str(probes)])
            if iterative != "off":
                cursor.execute("SELECT set_config('ivfflat.iterative_scan', %s, true)", [iterative])
            cursor.execute(_FALLBACK_SQL, [project.pk, literal, k])
            return [row[0] for row in cursor.fetchall()]

    return query


def exact_passages(project: Project, k: int) -> Callable[[np.ndarray], list[int]]:
    """The k nearest passages by exact search on the float32 vectors (index scans off), so
    recall counts both the index's approximation and its half-precision vectors."""

    def query(vector: np.ndarray) -> list[int]:
        literal = "[" + ",".join(f"{x:.9g}" for x in vector) + "]"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(_EXACT_SQL, [project.pk, literal, k])
            return [row[0] for row in cursor.fetchall()]

    return query


def engine_settings(project: Project, k: int) -> dict[str, str | None]:
    """ENGINE_SETTINGS as the engine's query leaves them in its transaction (run once on a
    unit vector inside an outer transaction, then read back)."""
    query = nearest_passages(project, k)
    columns = ", ".join("current_setting(%s, true)" for _ in ENGINE_SETTINGS)
    with transaction.atomic():
        query(np.full(384, 1 / np.sqrt(384), dtype=np.float32))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns}", list(ENGINE_SETTINGS))
            values = cursor.fetchone()
    return dict(zip(ENGINE_SETTINGS, values, strict=True))


def ann_settings(project: Project, k: int) -> dict[str, Any]:
    """The passage index's lists now, and the probes and iterative scan the engine searches
    it with."""
    settings = engine_settings(project, k)
    state = vector_index.index_state()
    return {
        "ann_index": "ivfflat",
        "lists": state.lists if state else None,
        "probes": int(settings["ivfflat.probes"] or 1),  # unset: pgvector's default, 1
        "iterative_scan": settings["ivfflat.iterative_scan"] or "off",
    }


def uses_engine_query() -> bool:
    retrieval = _module("claims.matching.retrieval")
    return retrieval is not None and hasattr(retrieval, "passages_for_claim")


def describe(project: Project) -> dict[str, Any]:
    k = retrieval_k(project)
    matching = _module("claims.matching")
    return {
        "engine_version": getattr(matching, "ENGINE_VERSION", ""),
        "retrieval_k": k,
        "recall_query": (
            "claims.matching.retrieval.passages_for_claim (semantic half)"
            if uses_engine_query()
            else "bench fallback query (engine has no passages_for_claim)"
        ),
        **ann_settings(project, k),
    }
