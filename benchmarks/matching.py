"""Measurement 2a: claim matching latency at a given project size.

Latency is "a new mention to its candidates stored", in-process as the web request and the
worker do it one after the other: `annotation_create` (new claim from the marked span) then
`claims.matching.match_claim`, with where the time went (model, database, rest).
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User

from annotations.models import Article, Project
from annotations.services.embeddings import embed
from benchmarks.breakdown import Costs, measured
from benchmarks.sampling import percentile, random_passages
from claims import matching
from claims.services import annotation_create

logger = logging.getLogger("benchmarks")

WARMUP = 3  # first calls load the model and fill caches; not counted
EMBED_CALIBRATION = 15  # single-sentence embeddings timed beside each latency measurement


@dataclass
class LatencyResult:
    size: int
    samples: list[float]  # seconds
    candidates: list[int]
    # Context for a busy machine: one sentence through the model alone, and the load average.
    embed_one_ms: float = 0.0
    load_average: float = 0.0
    # The first match in this process: the engine builds its per-process caches (vocabulary).
    cold_s: float = 0.0
    costs: list[Costs] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        ms = [s * 1000 for s in self.samples]
        return {
            "passages": self.size,
            "samples": len(ms),
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "mean_ms": round(statistics.fmean(ms), 1),
            "max_ms": round(max(ms), 1),
            "candidates_median": statistics.median(self.candidates) if self.candidates else 0,
            "embed_one_p50_ms": round(self.embed_one_ms, 1),
            "load_average_1m": round(self.load_average, 2),
            "first_match_s": round(self.cold_s, 2),
            "breakdown": self._breakdown(ms),
        }

    def _breakdown(self, ms: list[float]) -> dict[str, Any]:
        """Mean milliseconds per match in the model, the database (the caller's connection) and
        the rest (Python, and waiting for any reads on other connections)."""
        if not self.costs:
            return {}
        n = len(self.costs)
        model = sum(c.model_s for c in self.costs) * 1000 / n
        db = sum(c.db_s for c in self.costs) * 1000 / n
        return {
            "model_ms": round(model, 1),
            "db_ms": round(db, 1),
            "other_ms": round(statistics.fmean(ms) - model - db, 1),
            "texts_embedded_mean": round(sum(c.texts_embedded for c in self.costs) / n, 1),
            "queries_mean": round(sum(c.queries for c in self.costs) / n, 1),
        }


def _embed_one_ms(texts: list[str]) -> float:
    """Median time to embed one sentence with the model alone, now, on this machine."""
    times = []
    for text in texts:
        t0 = time.perf_counter()
        embed([text])
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50) if times else 0.0


def measure_latency(
    *, project: Project, actor: User, size: int, samples: int, rng: random.Random
) -> LatencyResult:
    spans = random_passages(project, samples + WARMUP, rng)
    articles = Article.objects.select_related("project").in_bulk({s[0] for s in spans})
    result = LatencyResult(size=size, samples=[], candidates=[])
    result.embed_one_ms = _embed_one_ms([s[3] for s in spans[:EMBED_CALIBRATION]])
    for i, (article_id, start, end, _text) in enumerate(spans):
        article = articles[article_id]
        with measured() as costs:
            t0 = time.perf_counter()
            mention = annotation_create(article=article, start=start, end=end, actor=actor)
            written = matching.match_claim(claim_id=mention.claim_id)
            elapsed = time.perf_counter() - t0
        if i == 0:
            result.cold_s = elapsed
        if i >= WARMUP:
            result.costs.append(costs)
            result.samples.append(elapsed)
            result.candidates.append(written)
    result.load_average = os.getloadavg()[0]
    return result
