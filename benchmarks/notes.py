"""The notes of the bench's result: what each figure measures and how (benchmarks.runner)."""

from __future__ import annotations

from typing import Any


def corpus_note(real: int, perturbed: int) -> str:
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


def notes(
    export_claims: int,
    skip_slow: bool,
    corpus: str,
    recalls: list[dict[str, Any]],
    load: dict[str, Any],
    api: dict[str, Any],
) -> list[str]:
    from annotations.services.processing import PROCESS_BATCH
    from claims.matching.engine import MATCH_BATCH

    ann = recalls[-1]
    lines = [
        corpus,
        *_index_notes(ann, load),
        *_exact_note(recalls),
        "Matching latency = annotation_create + claims.matching.match_claim in-process, as "
        "the web request and the worker run them (every read in line, on the caller's "
        "connection); breakdown: model, database and the rest (Python).",
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
        f"export_* at {export_claims:,} claims (rows/s of CSV, peak = worst format); "
        "api_p95_ms = the worst endpoint's p95.",
    ]
    if skip_slow:
        lines.append("--skip-slow: small samples; figures are a smoke test, not a benchmark.")
    return lines
