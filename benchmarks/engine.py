"""What the bench needs from the matching engine's retrieval, read from the engine itself so the
recall is measured on the engine's own query at the engine's own settings.

- k: `claims.matching.config.matching_config(project settings)["retrieval_k"]`;
- the nearest-passages query: `claims.matching.retrieval.passages_for_claim` with no texts
  (its semantic half alone), which sets hnsw.ef_search / iterative scan as the engine does;
- ef_search: what that query set, read back inside the same transaction.

If the engine lacks these (older engine), the bench falls back to its own query at pgvector's
default ef_search and says so in `describe()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
from django.db import connection, transaction

from annotations.models import Project

FALLBACK_K = 100
FALLBACK_EF_SEARCH = 40  # pgvector's default

_FALLBACK_SQL = (
    "SELECT p.id FROM annotations_passage p JOIN annotations_article a ON a.id = p.article_id "
    "WHERE a.project_id = %s AND p.embedding IS NOT NULL "
    "ORDER BY p.embedding <=> %s::vector LIMIT %s"
)


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
    project: Project, k: int, *, ef: int, iterative: str
) -> Callable[[np.ndarray], list[int]]:
    """The engine's nearest-passage query shape at a chosen ef_search (for the sweep)."""

    def query(vector: np.ndarray) -> list[int]:
        literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef)])
            if iterative != "off":
                cursor.execute("SELECT set_config('hnsw.iterative_scan', %s, true)", [iterative])
            cursor.execute(_FALLBACK_SQL, [project.pk, literal, k])
            return [row[0] for row in cursor.fetchall()]

    return query


def hnsw_settings(project: Project, k: int) -> dict[str, str]:
    """hnsw.ef_search and hnsw.iterative_scan as the engine's query leaves them in its
    transaction (run once on a zero vector inside an outer transaction, then read back)."""
    query = nearest_passages(project, k)
    with transaction.atomic():
        query(np.full(384, 1 / np.sqrt(384), dtype=np.float32))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('hnsw.ef_search'), "
                "current_setting('hnsw.iterative_scan', true)"
            )
            ef, iterative = cursor.fetchone()
    return {"ef_search": ef, "iterative_scan": iterative or "off"}


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
        **hnsw_settings(project, k),
    }
