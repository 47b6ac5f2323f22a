"""Measurement 1: articles per second through the whole pipeline, as a ratio to the embedding
model alone on the same passages.

The pipeline is what a loaded article goes through: extraction of an HTML page
(`article_create_from_file`), segmentation + embedding + storage + full-text indexing
(`article_process`) and matching against the project's claims (`claims.matching.match_article`).
The baseline embeds exactly the passages the pipeline will embed (found beforehand by extraction
+ segmentation, untimed) in one `embed()` call on all cores: the product's own embedding path
(the model passes of `embed_with_windows`, cut by `length_batches`), so a faster model pass
speeds the baseline as much as the pipeline and cannot flatter the ratio.

Two ways of running the pipeline, each on its own articles:
- `load_ratio`: as the product runs it, in a pool of WORKERS processes like the Celery worker's
  (`-c 2`), each embedding on its share of the cores, so one article's database work and
  matching overlap another's model pass; storing, processing and matching are separate tasks
  in the order a bulk load gives the worker's queue; a processing task embeds the articles
  waiting then in one model pass, up to annotations.services.processing.PROCESS_BATCH, and a
  matching task matches those waiting, up to claims.matching.article_matching.MATCH_BATCH
  (benchmarks.load_pool). Wall time of the batch.
- `load_ratio_sequential`: one article after another in this process, on all cores, each
  matched on its own right after its loading; its stage times and costs are the per-article
  breakdown (`load_stage_s`, `load_stage_costs`).

Both ratios include the amortized cost of the passage index's periodic rebuild: the product
rebuilds its IVFFlat (annotations.services.vector_index) each time the table doubles, so a build
at N rows serves the N/2 rows added since the previous one; the loaded passages are charged
`build_s * passages / (N / 2)` of the build measured at the largest size (`RebuildCost`). The
ratios without that charge are reported beside them (`*_without_rebuild`).

Model and pipeline are timed alternately, round by round (and article by article in the
sequential run), so a machine that gets busier half-way slows both sides alike; each ratio is of
summed times. `load_ratio_same_batches` divides by the model on each article alone.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from annotations.models import Article, ProcessingState, Project
from annotations.services import article_create_from_file, article_process
from annotations.services.embeddings import embed
from annotations.services.extraction import extract_file
from annotations.services.segmentation import split_passages
from benchmarks import load_pool, plans
from benchmarks.breakdown import Costs, measured
from benchmarks.corpus import NewsWriter, SyntheticArticle
from claims import matching

logger = logging.getLogger("benchmarks")

ROUNDS = 3
WORKERS = 2  # the Celery worker's pool, as scripts/run starts it
STAGES = ("extract_store", "segment_embed_index", "match")


@dataclass(frozen=True)
class RebuildCost:
    """The passage IVFFlat's build at `rows` rows took `build_s`; under the doubling policy that
    build serves the rows/2 passages added since the previous one."""

    build_s: float
    rows: int

    def charge_s(self, passages: int) -> float:
        return self.build_s * passages / (self.rows / 2) if self.rows else 0.0


NO_REBUILD = RebuildCost(0.0, 0)


@dataclass
class LoadingResult:
    articles: int  # in each of the two runs
    workers: int
    passages: int  # of the pool's articles
    pipeline_s: float  # wall time of the pool
    embed_bulk_s: float  # the model alone on the pool's passages
    sequential_passages: int
    sequential_s: float
    sequential_embed_bulk_s: float
    sequential_embed_per_article_s: float
    stage_s: dict[str, float]  # sequential run
    stage_costs: dict[str, Costs]  # sequential run
    pool_stage_s: dict[str, float]  # summed over the pool's processes
    # (model alone, pool) seconds of each round: how much the ratio moves within one run
    rounds: list[tuple[float, float]] = field(default_factory=list)
    rebuild: RebuildCost = NO_REBUILD
    load_average: float = 0.0
    # processed articles of the project not matched when the measurement ended (must be 0)
    left_waiting: int = 0
    statements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def rebuild_charge_s(self) -> float:
        return self.rebuild.charge_s(self.passages)

    @property
    def sequential_rebuild_charge_s(self) -> float:
        return self.rebuild.charge_s(self.sequential_passages)

    def as_dict(self) -> dict[str, object]:
        charged_s = self.pipeline_s + self.rebuild_charge_s
        sequential_charged_s = self.sequential_s + self.sequential_rebuild_charge_s
        return {
            "load_ratio": round(self.embed_bulk_s / charged_s, 3),
            "load_ratio_sequential": round(self.sequential_embed_bulk_s / sequential_charged_s, 3),
            "load_ratio_same_batches": round(
                self.sequential_embed_per_article_s / sequential_charged_s, 3
            ),
            "load_ratio_without_rebuild": round(self.embed_bulk_s / self.pipeline_s, 3),
            "load_ratio_sequential_without_rebuild": round(
                self.sequential_embed_bulk_s / self.sequential_s, 3
            ),
            "load_index_rebuild_charge_s": round(self.rebuild_charge_s, 3),
            "load_sequential_index_rebuild_charge_s": round(self.sequential_rebuild_charge_s, 3),
            "load_index_rebuild_build_s": round(self.rebuild.build_s, 3),
            "load_index_rebuild_rows": self.rebuild.rows,
            "load_workers": self.workers,
            "load_articles_left_waiting": self.left_waiting,
            "load_articles": self.articles,
            "load_passages": self.passages,
            "load_pipeline_articles_per_s": round(self.articles / self.pipeline_s, 2),
            "load_embed_articles_per_s": round(self.articles / self.embed_bulk_s, 2),
            "load_pipeline_s": round(self.pipeline_s, 2),
            "load_ratio_by_round": [round(bulk / piped, 3) for bulk, piped in self.rounds],
            "load_embed_bulk_s": round(self.embed_bulk_s, 2),
            "load_pool_stage_s": {k: round(v, 2) for k, v in self.pool_stage_s.items()},
            "load_sequential_s": round(self.sequential_s, 2),
            "load_sequential_embed_bulk_s": round(self.sequential_embed_bulk_s, 2),
            "load_embed_per_article_s": round(self.sequential_embed_per_article_s, 2),
            "load_stage_s": {k: round(v, 2) for k, v in self.stage_s.items()},
            "load_average_1m": round(self.load_average, 2),
            "load_stage_costs": {
                name: {
                    "model_s": round(c.model_s, 2),
                    "texts_embedded": c.texts_embedded,
                    "db_s": round(c.db_s, 2),
                    "queries": c.queries,
                }
                for name, c in self.stage_costs.items()
            },
            "load_slowest_statements": self.statements,
            **self._index_ceiling(),
        }

    def _index_ceiling(self) -> dict[str, float]:
        """What storing and indexing the passages alone allows (the database time of
        processing: the rows and their IVFFlat and GIN inserts, plus the amortized rebuild):
        the sequential ratio if nothing else in the pipeline cost anything."""
        stored = self.stage_costs.get("segment_embed_index")
        if stored is None or not self.sequential_passages:
            return {}
        index_s = stored.db_s + self.sequential_rebuild_charge_s
        return {
            "load_store_index_ms_per_passage": round(
                stored.db_s * 1000 / self.sequential_passages, 2
            ),
            "load_index_rebuild_ms_per_passage": round(
                self.sequential_rebuild_charge_s * 1000 / self.sequential_passages, 3
            ),
            "load_ratio_ceiling_store_index": round(
                self.sequential_embed_bulk_s / (self.sequential_embed_bulk_s + index_s), 3
            ),
        }


def _passage_texts(article: SyntheticArticle) -> list[str]:
    extracted = extract_file(article.html(), name="article.html")
    return [span.text for span in split_passages(extracted.text)]


def store_article(
    project: Project, article: SyntheticArticle, costs: dict[str, Costs] | None = None
) -> tuple[int, dict[str, float]]:
    """One article extracted and stored (what an upload or the bulk loader does, which queues
    its processing). Its id and stage time; adds the stage's costs to `costs`."""
    with measured() as create_costs:
        started = time.perf_counter()
        stored = article_create_from_file(
            project=project,
            data=article.html(),
            filename="article.html",
            outlet=article.outlet,
            published_at=article.published_at,
        )
        elapsed = time.perf_counter() - started
    if costs is not None:
        _add(costs.setdefault("extract_store", Costs()), create_costs)
    return stored.pk, {"extract_store": elapsed}


def load_article(
    project: Project, article: SyntheticArticle, costs: dict[str, Costs] | None = None
) -> tuple[int, dict[str, float]]:
    """One article's loading in this process: extracted and stored, then segmented, embedded
    and indexed (what the upload and the processing task do). Its id and stage times; adds
    the stages' costs to `costs`."""
    article_id, stage_s = store_article(project, article, costs)
    with measured() as process_costs:
        started = time.perf_counter()
        article_process(article_id=article_id)
        stage_s["segment_embed_index"] = time.perf_counter() - started
    if costs is not None:
        _add(costs.setdefault("segment_embed_index", Costs()), process_costs)
    return article_id, stage_s


def run_pipeline(
    project: Project, article: SyntheticArticle, stage_s: dict[str, float], costs: dict[str, Costs]
) -> None:
    """One article through the pipeline, in this process, matched on its own right after its
    loading; adds its stage times and costs."""
    article_id, loaded = load_article(project, article, costs)
    with measured() as match_costs:
        started = time.perf_counter()
        matching.match_article(article_id=article_id)
        loaded["match"] = time.perf_counter() - started
    _add(costs.setdefault("match", Costs()), match_costs)
    for name, seconds in loaded.items():
        stage_s[name] += seconds


def _add(total: Costs, part: Costs) -> None:
    total.model_s += part.model_s
    total.texts_embedded += part.texts_embedded
    total.db_s += part.db_s
    total.queries += part.queries


def _statements(project: Project, article: SyntheticArticle) -> dict[str, list[dict[str, Any]]]:
    """The slowest SQL statements of processing and matching one more article."""
    stored = article_create_from_file(
        project=project, data=article.html(), filename="article.html", outlet=article.outlet
    )
    return {
        "article_process": plans.top_statements(lambda: article_process(article_id=stored.pk)),
        "match_article": plans.top_statements(lambda: matching.match_article(article_id=stored.pk)),
    }


def measure_loading(
    *,
    project: Project,
    writer: NewsWriter,
    articles: int,
    rebuild: RebuildCost = NO_REBUILD,
    seed: int = 0,
    workers: int = WORKERS,
) -> LoadingResult:
    """Load `articles` new articles through a pool of `workers` processes and `articles` more
    one after another here (plus untimed warm-ups), timing the model alone beside each; charge
    both runs their share of the index `rebuild`."""
    pool = load_pool.start_pool(workers=workers, project_id=project.pk, seed=seed)
    try:
        result = _measure(project, writer, articles, pool, workers)
    finally:
        pool.terminate()
        pool.join()
    result.rebuild = rebuild
    return result


def _measure(
    project: Project, writer: NewsWriter, articles: int, pool: Any, workers: int
) -> LoadingResult:
    corpus = [writer.article() for _ in range(2 * articles + 1)]
    texts = [_passage_texts(a) for a in corpus]
    stage_s = dict.fromkeys(STAGES, 0.0)
    pool_stage_s = dict.fromkeys(STAGES, 0.0)
    stage_costs: dict[str, Costs] = {}
    embed(texts[0])
    run_pipeline(project, corpus[0], dict(stage_s), {})  # model, caches, first queries
    pooled = list(range(1, articles + 1))
    sequential = list(range(articles + 1, 2 * articles + 1))
    pipeline_s = embed_bulk_s = seq_s = seq_bulk_s = seq_each_s = 0.0
    rounds: list[tuple[float, float]] = []
    per_round = -(-articles // ROUNDS)
    for r in range(ROUNDS):
        chunk = pooled[r * per_round : (r + 1) * per_round]
        if not chunk:
            continue
        bulk = _time(lambda chunk=chunk: embed([t for i in chunk for t in texts[i]]))
        t0 = time.perf_counter()
        tasks = load_pool.run_articles(pool, project.pk, [corpus[i] for i in chunk], workers)
        piped = time.perf_counter() - t0
        _add_stages(pool_stage_s, tasks)
        embed_bulk_s += bulk
        pipeline_s += piped
        rounds.append((bulk, piped))
        chunk = sequential[r * per_round : (r + 1) * per_round]
        seq_bulk_s += _time(lambda chunk=chunk: embed([t for i in chunk for t in texts[i]]))
        each, alone = _one_after_another(
            project, [corpus[i] for i in chunk], chunk, texts, stage_s, stage_costs
        )
        seq_each_s += each
        seq_s += alone
        logger.info(
            "loading round %d: %d processes %.1f s (model alone %.1f s); one after another "
            "%.1f s (model alone %.1f s)",
            *(r + 1, workers, piped, bulk, alone, each),
        )
    waiting = Article.objects.filter(
        project=project, processing_state=ProcessingState.PROCESSED, matched_at=None
    )
    return LoadingResult(
        left_waiting=waiting.count(),
        statements=_statements(project, writer.article()),
        articles=articles,
        workers=workers,
        passages=sum(len(texts[i]) for i in pooled),
        pipeline_s=pipeline_s,
        embed_bulk_s=embed_bulk_s,
        sequential_passages=sum(len(texts[i]) for i in sequential),
        sequential_s=seq_s,
        sequential_embed_bulk_s=seq_bulk_s,
        sequential_embed_per_article_s=seq_each_s,
        stage_s=stage_s,
        stage_costs=stage_costs,
        pool_stage_s=pool_stage_s,
        rounds=rounds,
        load_average=os.getloadavg()[0],
    )


def _add_stages(total: dict[str, float], tasks: list[dict[str, float]]) -> None:
    for part_s in tasks:
        for name, seconds in part_s.items():
            total[name] = total.get(name, 0.0) + seconds


def _one_after_another(
    project: Project,
    articles: list[SyntheticArticle],
    indexes: list[int],
    texts: list[list[str]],
    stage_s: dict[str, float],
    stage_costs: dict[str, Costs],
) -> tuple[float, float]:
    """The model alone on each article, then each through the pipeline in this process,
    alternately: (model seconds, pipeline seconds)."""
    each = alone = 0.0
    for article, i in zip(articles, indexes, strict=True):
        each += _time(lambda i=i: embed(texts[i]))
        alone += _time(lambda a=article: run_pipeline(project, a, stage_s, stage_costs))
    return each, alone


# `...`: the callers' lambdas bind loop variables as defaults, and mypy cannot infer such a
# lambda against Callable[[], object].
def _time(work: Callable[..., object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
