"""Growing the synthetic project to N passages fast enough to reach 10^6 on two cores.

Embedding a million sentences takes about an hour here, so only a base set (up to
BASE_SENTENCES) is embedded with the real model. Beyond it, a passage is a variant of a base
sentence (one or two names, numbers or places re-drawn) whose vector is the base sentence's
real embedding plus small Gaussian noise, renormalised: cosine ~0.82-0.96 to its base, the
spread paraphrases and near-duplicates have. The output says which passages are which.

Rows go in with COPY (pgvector's binary format) into a staging table, then one INSERT ...
SELECT computes the full-text vectors in the database; articles go in with bulk_create. The
IVFFlat and GIN indexes are dropped before a bulk load and rebuilt after it, the IVFFlat with the
lists the product's doubling rebuild gives it at the new size (benchmarks.database).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psycopg
from django.db import connection
from django.utils import timezone
from pgvector.psycopg import register_vector

from annotations.models import EMBEDDING_DIM, Article, ProcessingState, Project, Source
from annotations.services import vector_index
from annotations.services.embeddings import embed_with_windows, pack_vectors
from annotations.services.extraction import content_hash
from annotations.services.segmentation import clause_windows
from annotations.services.vector_index import lists_for
from benchmarks.corpus import NewsWriter, Sentence, SyntheticArticle, article_offsets
from benchmarks.database import (
    ANN_INDEX,
    IndexDef,
    build_session,
    drop_indexes,
    index_definitions,
    raw_connection,
    table_rows,
)

logger = logging.getLogger("benchmarks")

# Real sentences embedded with the model (the rest are perturbed copies of their vectors).
BASE_SENTENCES = 20_000
EMBED_CHUNK = 2_000  # sentences per embed() call while building the base set (progress lines)
# Per-component noise of a perturbed vector: |noise| ~ sigma * sqrt(384), so sigma in
# [0.015, 0.035] gives cosine 0.96 .. 0.82 to the base vector.
NOISE_SIGMA = (0.015, 0.035)
# Articles per COPY batch (~30 passages each): ~30k rows, ~50 MB of vectors in memory.
ARTICLES_PER_BATCH = 1_000
# Rows inserted while the indexes exist, to report what incremental index upkeep costs.
INCREMENTAL_SAMPLE_ROWS = 3_000

_STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS bench_stage (article_id bigint, ordinal int, start int, "
    '"end" int, text text, embedding vector(384), clause_bounds int[], unit_vectors bytea)'
)
# PostgreSQL computes search_vector (a generated column) as the rows go in.
_STAGE_INSERT = (
    'INSERT INTO annotations_passage (article_id, ordinal, start, "end", text, embedding, '
    'clause_bounds, unit_vectors) SELECT article_id, ordinal, start, "end", text, embedding, '
    "clause_bounds, unit_vectors FROM bench_stage"
)


@dataclass
class BaseSet:
    """Embedded real sentences; `placed` of them are already stored as passages."""

    sentences: list[Sentence]
    vectors: np.ndarray
    embed_seconds: float
    cached: bool = False
    placed: int = 0
    # Per sentence: its clause windows' vectors (late chunking, as processing stores them).
    clauses: list[np.ndarray] = field(default_factory=list)

    @property
    def sentences_per_s(self) -> float:
        return len(self.sentences) / self.embed_seconds if self.embed_seconds else 0.0


@dataclass
class FillReport:
    """What one growth step did and what it cost (seconds)."""

    size: int
    added: int = 0
    real: int = 0
    perturbed: int = 0
    insert_s: float = 0.0
    index_build_s: dict[str, float] = field(default_factory=dict)
    ann_rows: int | None = None  # rows the passage IVFFlat was built over
    ann_lists: int | None = None  # and the lists it was built with
    vacuum_s: float = 0.0
    checkpoint_s: float = 0.0
    incremental_rows_per_s: float | None = None
    bulk_rows_per_s: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in vars(self).items()}


def embed_base(writer: NewsWriter, count: int, cache_dir: Path | None = None) -> BaseSet:
    """Embed `count` new sentences (and their clause windows, in the same pass, as processing
    does) with the model, or load them from `cache_dir` when a run already embedded exactly
    these texts (same seed and generator): setup, not a measurement."""
    sentences = [writer.sentence() for _ in range(count)]
    digest = hashlib.sha256("\n".join(s.text for s in sentences).encode()).hexdigest()[:20]
    cached = cache_dir / f"base-{count}-{digest}.npz" if cache_dir else None
    if cached is not None and cached.exists():
        logger.info("base embeddings read from %s", cached)
        data = np.load(cached)
        clauses: list[np.ndarray] = np.split(data["clauses"], np.cumsum(data["counts"])[:-1])
        return BaseSet(sentences, data["vectors"], 0.0, cached=True, clauses=clauses)
    started = time.perf_counter()
    parts: list[np.ndarray] = []
    clauses = []
    for at in range(0, count, EMBED_CHUNK):
        texts = [s.text for s in sentences[at : at + EMBED_CHUNK]]
        whole, windows = embed_with_windows(texts, [clause_windows(t) for t in texts])
        parts.append(whole)
        clauses += windows
        logger.info("embedded %d / %d base sentences", min(at + EMBED_CHUNK, count), count)
    vectors = np.vstack(parts) if parts else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    elapsed = time.perf_counter() - started
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            cached,
            vectors=vectors,
            clauses=np.vstack([*clauses, np.zeros((0, EMBEDDING_DIM), dtype=np.float32)]),
            counts=np.array([len(c) for c in clauses] or [0]),
        )
    return BaseSet(sentences, vectors, elapsed, clauses=clauses)


def passage_count(project: Project) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM annotations_passage p JOIN annotations_article a "
            "ON a.id = p.article_id WHERE a.project_id = %s",
            [project.pk],
        )
        return int(cursor.fetchone()[0])


class CorpusFiller:
    """Adds synthetic articles and passages to `project` until it holds a given count."""

    def __init__(self, *, project: Project, writer: NewsWriter, base: BaseSet, seed: int) -> None:
        self.project = project
        self.writer = writer
        self.base = base
        self.rng = np.random.default_rng(seed)
        self.sources = {
            s.name: s for s in Source.objects.filter(project=project)
        }  # outlet name -> Source

    def grow_to(self, size: int) -> FillReport:
        """1. Insert one sample batch with the indexes in place (incremental upkeep rate).
        2. Drop the IVFFlat and GIN indexes, COPY the rest, rebuild them (bulk rate; the
           IVFFlat's build is what the product's rebuild at this size costs).
        3. VACUUM ANALYZE so the planner knows the new size and autovacuum stays quiet.
        4. CHECKPOINT: what the load left dirty is written now, not by the checkpointer in the
           background while the next measurement runs (0.6 s at a million rows: index builds
           write their pages themselves)."""
        report = FillReport(size=size)
        need = size - passage_count(self.project)
        if need <= 0:
            return report
        with raw_connection() as conn:
            register_vector(conn)
            cur = conn.cursor()
            cur.execute(_STAGE_DDL)
            defs = index_definitions(cur)
            sample = min(INCREMENTAL_SAMPLE_ROWS, need // 4) if len(defs) == 2 else 0
            if sample >= 300:
                started = time.perf_counter()
                added = self._insert(conn, sample, report)
                report.incremental_rows_per_s = added / (time.perf_counter() - started)
                need -= added
            drop_indexes(cur, defs)
            started = time.perf_counter()
            added = self._insert(conn, need, report)
            report.insert_s = time.perf_counter() - started
            self._build(cur, defs, report)
            total = report.insert_s + sum(report.index_build_s.values())
            report.bulk_rows_per_s = added / total if total else None
            t0 = time.perf_counter()
            cur.execute("VACUUM (ANALYZE) annotations_passage")
            cur.execute("VACUUM (ANALYZE) annotations_article")
            report.vacuum_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            _checkpoint(cur)
            report.checkpoint_s = time.perf_counter() - t0
        return report

    def _build(self, cur: psycopg.Cursor, defs: list[IndexDef], report: FillReport) -> None:
        rows = table_rows(cur)
        with build_session(cur):
            for d in defs:
                t0 = time.perf_counter()
                cur.execute(d.sql_for(rows))
                report.index_build_s[d.name] = time.perf_counter() - t0
                logger.info("built %s in %.1f s", d.name, report.index_build_s[d.name])
        if any(d.name == ANN_INDEX for d in defs):
            report.ann_rows, report.ann_lists = rows, lists_for(rows)
            vector_index.forget_cached_probes()

    def _insert(self, conn: psycopg.Connection, rows: int, report: FillReport) -> int:
        added = 0
        while added < rows:
            batch: list[SyntheticArticle] = []
            vectors: list[np.ndarray] = []
            clauses: list[list[np.ndarray]] = []
            batch_rows = 0
            while batch_rows < rows - added and len(batch) < ARTICLES_PER_BATCH:
                article, vecs, article_clauses = self._next_article(
                    rows - added - batch_rows, report
                )
                batch.append(article)
                vectors.append(vecs)
                clauses.append(article_clauses)
                batch_rows += len(article.sentences)
            self._store(conn, batch, vectors, clauses)
            added += batch_rows
            report.added += batch_rows
            logger.info("inserted %d / %d passages", added, rows)
        return added

    def _next_article(
        self, room: int, report: FillReport
    ) -> tuple[SyntheticArticle, np.ndarray, list[np.ndarray]]:
        """Real base sentences while any are left unplaced, then perturbed variants (whose
        clause vectors are perturbed copies of their own passage vector)."""
        count = min(room, int(self.rng.integers(20, 41)))
        base = self.base
        real = min(count, len(base.sentences) - base.placed)
        if real > 0:
            sentences = base.sentences[base.placed : base.placed + real]
            vecs = base.vectors[base.placed : base.placed + real]
            clauses = base.clauses[base.placed : base.placed + real]
            base.placed += real
            report.real += real
        else:
            picks = self.rng.integers(0, len(base.sentences), size=count)
            sentences = [self.writer.variant(base.sentences[i]) for i in picks]
            vecs = _perturb(base.vectors[picks], self.rng)
            clauses = [
                _perturb(np.repeat(v[None, :], len(clause_windows(s.text)), axis=0), self.rng)
                for s, v in zip(sentences, vecs, strict=True)
            ]
            report.perturbed += count
        return self.writer.article(sentences), vecs, clauses

    def _store(
        self,
        conn: psycopg.Connection,
        batch: list[SyntheticArticle],
        vectors: list[np.ndarray],
        clauses: list[list[np.ndarray]],
    ) -> None:
        now = timezone.now()
        rows = [
            Article(
                project=self.project,
                source=self._source(a.outlet),
                title=a.title,
                byline=a.byline,
                published_at=a.published_at,
                text=a.text,
                content_hash=content_hash(a.text),
                processing_state=ProcessingState.PROCESSED,
                processed_at=now,
                matched_at=now,  # an archive matched long ago, not waiting for the matcher
            )
            for a in batch
        ]
        Article.objects.bulk_create(rows, batch_size=500)
        cur = conn.cursor()
        with cur.copy(
            'COPY bench_stage (article_id, ordinal, start, "end", text, embedding, '
            "clause_bounds, unit_vectors) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "int4", "int4", "int4", "text", "vector", "int4[]", "bytea"])
            for stored, article, vecs, article_clauses in zip(
                rows, batch, vectors, clauses, strict=True
            ):
                for ordinal, ((start, end, text), vec, clause_vecs) in enumerate(
                    zip(article_offsets(article), vecs, article_clauses, strict=True)
                ):
                    bounds = [offset for window in clause_windows(text) for offset in window]
                    copy.write_row(
                        (
                            stored.pk,
                            ordinal,
                            start,
                            end,
                            text,
                            vec,
                            bounds,
                            pack_vectors(np.vstack([vec[None, :], clause_vecs])),
                        )
                    )
        cur.execute(_STAGE_INSERT)
        cur.execute("TRUNCATE bench_stage")

    def _source(self, outlet: str) -> Source:
        if outlet not in self.sources:
            self.sources[outlet], _ = Source.objects.get_or_create(
                project=self.project, name=outlet
            )
        return self.sources[outlet]


def _checkpoint(cur: psycopg.Cursor) -> None:
    """CHECKPOINT needs superuser or pg_checkpoint (the embedded server's user has both);
    without it the server writes the pages in its own time."""
    try:
        cur.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        logger.info("no privilege to CHECKPOINT: the load's pages are written in the background")


def _perturb(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sigma = rng.uniform(*NOISE_SIGMA, size=(len(vectors), 1)).astype(np.float32)
    noisy = vectors + rng.standard_normal(vectors.shape, dtype=np.float32) * sigma
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
