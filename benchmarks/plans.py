"""Where the database time of a match goes: the engine's slowest queries and their plans.

For a few new mentions, every query match_claim runs is captured (Django's
CaptureQueriesContext); queries are grouped by shape, and the slowest shapes are run again
under EXPLAIN (ANALYZE, BUFFERS) with the index settings the engine's searches set (ivfflat.probes
for passages, hnsw.ef_search for claims, iterative scans). The plans go to a text
file beside the chart; the JSON gets the timings.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from annotations.models import Article, Project
from benchmarks import engine
from benchmarks.sampling import random_passages
from claims import matching
from claims.services import annotation_create

MENTIONS = 3
TOP = 4
_LITERALS = re.compile(r"'[^']*'|\b\d+\b")


def _shape(sql: str) -> str:
    """The query with its literals blanked, so repeated calls group together."""
    return _LITERALS.sub("?", sql)[:160]


def _explain(sql: str, settings: dict[str, str | None]) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        for name, value in settings.items():
            if value is not None:  # None: the engine left it unset
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)  # EXPLAIN ANALYZE runs the statement: undo any write
    return re.sub(r"\[[-0-9.e,]{200,}\]", "[...vector...]", plan)


def top_statements(fn: Callable[[], object], *, top: int = TOP) -> list[dict[str, Any]]:
    """Run `fn` once and return its slowest statement shapes with their calls and time."""
    with CaptureQueriesContext(connection) as captured:
        fn()
    shapes: dict[str, dict[str, Any]] = {}
    for query in captured.captured_queries:
        entry = shapes.setdefault(_shape(query["sql"]), {"calls": 0, "ms": 0.0})
        entry["calls"] += 1
        entry["ms"] += float(query["time"]) * 1000
    ranked = sorted(shapes.items(), key=lambda kv: -kv[1]["ms"])[:top]
    return [
        {"query": shape[:120], "calls": e["calls"], "ms": round(e["ms"], 1)} for shape, e in ranked
    ]


def slowest_queries(
    *, project: Project, actor: User, rng: random.Random
) -> tuple[list[dict[str, Any]], str]:
    """(the slowest query shapes of match_claim with their time per match, the plans text)."""
    spans = random_passages(project, MENTIONS, rng)
    articles = Article.objects.select_related("project").in_bulk({s[0] for s in spans})
    shapes: dict[str, dict[str, Any]] = {}
    for article_id, start, end, _text in spans:
        mention = annotation_create(article=articles[article_id], start=start, end=end, actor=actor)
        with CaptureQueriesContext(connection) as captured:
            matching.match_claim(claim_id=mention.claim_id)
        for query in captured.captured_queries:
            entry = shapes.setdefault(_shape(query["sql"]), {"calls": 0, "ms": 0.0})
            entry["calls"] += 1
            entry["ms"] += float(query["time"]) * 1000
            entry["sql"] = query["sql"]
    ranked = sorted(shapes.items(), key=lambda kv: -kv[1]["ms"])[:TOP]
    settings = engine.engine_settings(project, engine.retrieval_k(project))
    summary, texts = [], []
    for shape, entry in ranked:
        summary.append(
            {
                "query": shape[:120],
                "calls_per_match": round(entry["calls"] / len(spans), 1),
                "ms_per_match": round(entry["ms"] / len(spans), 1),
            }
        )
        sql = entry["sql"]
        plan = _explain(sql, settings) if sql.lstrip().upper().startswith("SELECT") else ""
        texts.append(f"-- {entry['ms'] / len(spans):.1f} ms per match\n{shape}\n{plan}\n")
    return summary, "\n".join(texts)
