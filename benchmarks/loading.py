"""Measurement 1: articles per second through the whole pipeline, as a ratio to the embedding
model alone on the same passages.

The pipeline is what a loaded article goes through, in-process as the worker runs it:
extraction of an HTML page (`article_create_from_file`), segmentation + embedding + storage
+ full-text indexing (`article_process`) and matching against the project's claims
(`claims.matching.match_article`). The baseline embeds exactly the passages the pipeline will
embed (found beforehand by extraction + segmentation, untimed) in one `embed()` call: the
model's own best throughput at the configured batch size.

Both are timed alternately, article by article, so a machine that gets busier half-way slows
both sides alike; the ratio is of the summed times. `load_ratio` divides by the one-call
baseline (the stricter); `load_ratio_same_batches` by the model on each article alone, as the
worker calls it.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from annotations.models import Project
from annotations.services import article_create_from_file, article_process
from annotations.services.embeddings import embed
from annotations.services.extraction import extract_file
from annotations.services.segmentation import split_passages
from benchmarks import plans
from benchmarks.breakdown import Costs, measured
from benchmarks.corpus import NewsWriter, SyntheticArticle
from claims import matching

logger = logging.getLogger("benchmarks")

ROUNDS = 3


@dataclass
class LoadingResult:
    articles: int
    passages: int
    pipeline_s: float
    embed_bulk_s: float
    embed_per_article_s: float
    stage_s: dict[str, float]
    stage_costs: dict[str, Costs]
    load_average: float = 0.0
    statements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "load_ratio": round(self.embed_bulk_s / self.pipeline_s, 3),
            "load_ratio_same_batches": round(self.embed_per_article_s / self.pipeline_s, 3),
            "load_articles": self.articles,
            "load_passages": self.passages,
            "load_pipeline_articles_per_s": round(self.articles / self.pipeline_s, 2),
            "load_embed_articles_per_s": round(self.articles / self.embed_bulk_s, 2),
            "load_stage_s": {k: round(v, 2) for k, v in self.stage_s.items()},
            "load_embed_bulk_s": round(self.embed_bulk_s, 2),
            "load_embed_per_article_s": round(self.embed_per_article_s, 2),
            "load_pipeline_s": round(self.pipeline_s, 2),
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
        """What storing and indexing the passages alone (the database time of processing:
        mostly the HNSW inserts) allows: the ratio if nothing else in the pipeline cost
        anything."""
        stored = self.stage_costs.get("segment_embed_index")
        if stored is None or not self.passages:
            return {}
        return {
            "load_store_index_ms_per_passage": round(stored.db_s * 1000 / self.passages, 2),
            "load_ratio_ceiling_store_index": round(
                self.embed_bulk_s / (self.embed_bulk_s + stored.db_s), 3
            ),
        }


def _passage_texts(article: SyntheticArticle) -> list[str]:
    extracted = extract_file(article.html(), name="article.html")
    return [span.text for span in split_passages(extracted.text)]


def _run_pipeline(
    project: Project, article: SyntheticArticle, stage_s: dict[str, float], costs: dict[str, Costs]
) -> None:
    with measured() as create_costs:
        t0 = time.perf_counter()
        stored = article_create_from_file(
            project=project,
            data=article.html(),
            filename="article.html",
            outlet=article.outlet,
            published_at=article.published_at,
        )
    with measured() as process_costs:
        t1 = time.perf_counter()
        article_process(article_id=stored.pk)
    with measured() as match_costs:
        t2 = time.perf_counter()
        matching.match_article(article_id=stored.pk)
        t3 = time.perf_counter()
    stage_s["extract_store"] += t1 - t0
    stage_s["segment_embed_index"] += t2 - t1
    stage_s["match"] += t3 - t2
    for name, part in (
        ("extract_store", create_costs),
        ("segment_embed_index", process_costs),
        ("match", match_costs),
    ):
        total = costs.setdefault(name, Costs())
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


def measure_loading(*, project: Project, writer: NewsWriter, articles: int) -> LoadingResult:
    """Load `articles` new articles (plus one untimed warm-up) and time both sides.

    Per article: the model alone on its passages, then the pipeline on it, so both see the
    same machine within seconds of each other; per round also the model alone on all of the
    round's passages in one call (its best batching).
    """
    corpus = [writer.article() for _ in range(articles + 1)]
    texts = [_passage_texts(a) for a in corpus]
    stage_s = {"extract_store": 0.0, "segment_embed_index": 0.0, "match": 0.0}
    stage_costs: dict[str, Costs] = {}
    embed(texts[0])
    _run_pipeline(project, corpus[0], dict(stage_s), {})  # model, caches, first queries
    pipeline_s = embed_bulk_s = embed_each_s = 0.0
    per_round = -(-articles // ROUNDS)
    for r in range(ROUNDS):
        chunk = list(range(1 + r * per_round, min(1 + (r + 1) * per_round, articles + 1)))
        if not chunk:
            continue
        t0 = time.perf_counter()
        embed([t for i in chunk for t in texts[i]])
        bulk = time.perf_counter() - t0
        each = piped = 0.0
        for i in chunk:
            t0 = time.perf_counter()
            embed(texts[i])
            t1 = time.perf_counter()
            _run_pipeline(project, corpus[i], stage_s, stage_costs)
            each += t1 - t0
            piped += time.perf_counter() - t1
        embed_bulk_s += bulk
        embed_each_s += each
        pipeline_s += piped
        logger.info(
            "loading round %d: model alone %.1f s (one call) / %.1f s (per article), "
            "pipeline %.1f s",
            r + 1,
            bulk,
            each,
            piped,
        )
    statements = _statements(project, writer.article())
    return LoadingResult(
        statements=statements,
        articles=articles,
        passages=sum(len(t) for t in texts[1:]),
        pipeline_s=pipeline_s,
        embed_bulk_s=embed_bulk_s,
        embed_per_article_s=embed_each_s,
        stage_s=stage_s,
        stage_costs=stage_costs,
        load_average=os.getloadavg()[0],
    )
