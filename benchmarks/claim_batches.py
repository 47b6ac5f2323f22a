"""What matching a claim costs one by one and in a batched run, on the same project.

    nice -n 19 .venv/bin/python -m benchmarks.claim_batches [--articles 40] [--claims 32]

A throwaway database (benchmarks.database) gets a synthetic project (benchmarks.corpus): the
articles are processed in-process; then, in passes alternated A B A B, a fresh set of claims
(sentences of the articles, re-worded, so there is something to find) is created waiting for
matching and matched by the matching task's body (claims.matching.waiting.match_waiting_claims)
until none waits: A with CLAIM_BATCH 1 (one claim per run, as before batching), B with the
product's CLAIM_BATCH. Each pass's claims are new, so the model embeds every statement. Then
a burst of marks on claims already tracked (BURST_CLAIMS claims marked BURST_MARKS times each
before matching runs): one full match per write, as before, against the tasks the writes queue
now (a claim already waiting queues none), alternated twice. Prints
a line per pass and, last, JSON: milliseconds per claim (median of the passes) each way, in
wall time and in this process's CPU time (steadier on a machine other work shares; PostgreSQL's
own CPU is not in it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--claims", type=int, default=32, help="claims per pass")
    parser.add_argument("--passes", type=int, default=6, help="alternated A B A B ...")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    if args.inner:
        print(json.dumps(_measure(args.articles, args.claims, args.passes)))
        return
    from django.db import connection

    from benchmarks.database import bench_database_name, create_database, drop_database

    name = bench_database_name()
    url = create_database(name)
    connection.close()
    env = dict(os.environ, DATABASE_URL=url, DJANGO_DEBUG="false")
    try:
        subprocess.run(
            [sys.executable, "-m", "benchmarks.claim_batches", "--inner", *sys.argv[1:]],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
    finally:
        drop_database(name)


def _measure(n_articles: int, n_claims: int, passes: int) -> dict[str, Any]:
    from django.core.management import call_command

    from annotations.services import article_create, article_process, project_create
    from benchmarks.corpus import NewsWriter
    from claims.matching import waiting

    call_command("migrate", verbosity=0)
    _quiet_outbox()
    writer = NewsWriter(seed=11)
    project = project_create(name="Claim batches bench", owner=None)
    articles = [writer.article() for _ in range(n_articles)]
    started = time.perf_counter()
    for article in articles:
        created = article_create(project=project, text=article.text, outlet=article.outlet)
        article_process(article_id=created.pk)
    print(f"{n_articles} articles processed in {time.perf_counter() - started:.1f} s")
    sentences = [s for a in articles for s in a.sentences]
    product_batch = waiting.CLAIM_BATCH
    results: dict[str, list[float]] = {"one_by_one": [], "batched": []}
    cpu_ms: dict[str, list[float]] = {"one_by_one": [], "batched": []}
    for n in range(passes):
        mode, batch = ("one_by_one", 1) if n % 2 == 0 else ("batched", product_batch)
        statements = [writer.variant(s).text for s in writer.rng.sample(sentences, n_claims)]
        waiting.CLAIM_BATCH = batch
        try:
            per_claim, cpu, runs, written = _pass(project, statements)
        finally:
            waiting.CLAIM_BATCH = product_batch
        results[mode].append(per_claim)
        cpu_ms[mode].append(cpu)
        print(
            f"pass {n + 1} {mode:10s} (batch {batch}): {per_claim:.1f} ms per claim "
            f"({cpu:.1f} ms of this process's CPU), {runs} runs, {written} candidates written"
        )
    burst: dict[str, list[tuple[int, float]]] = {"per_write": [], "deduped": []}
    for mode in ("per_write", "deduped", "per_write", "deduped"):
        burst[mode].append(_mentions_burst(project, writer, sentences, deduped=mode == "deduped"))
    one, many = (statistics.median(results[k]) for k in ("one_by_one", "batched"))
    one_cpu, many_cpu = (statistics.median(cpu_ms[k]) for k in ("one_by_one", "batched"))
    return {
        "articles": n_articles,
        "claims_per_pass": n_claims,
        "claim_batch": product_batch,
        "one_by_one_ms_per_claim": round(one, 1),
        "batched_ms_per_claim": round(many, 1),
        "ratio": round(one / many, 2),
        "one_by_one_cpu_ms_per_claim": round(one_cpu, 1),
        "batched_cpu_ms_per_claim": round(many_cpu, 1),
        "cpu_ratio": round(one_cpu / many_cpu, 2),
        "mention_burst_runs": {k: v[0][0] for k, v in burst.items()},
        "mention_burst_matching_s": {k: [s for _, s in v] for k, v in burst.items()},
        "load_average_1m": round(os.getloadavg()[0], 2),
        "passes": {k: [round(v, 1) for v in vs] for k, vs in results.items()},
    }


def _pass(project: Any, statements: list[str]) -> tuple[float, float, int, int]:
    """Create the claims (waiting, as a burst of marks leaves them) and run the matching task's
    body, as the worker would for their queued tasks in order, until none waits."""
    from claims.matching import waiting
    from claims.services import claim_create

    ids = [claim_create(project=project, statement=s).pk for s in statements]
    left = len(ids)
    started, cpu = time.perf_counter(), time.process_time()
    runs = written = 0
    for pk in ids:  # each claim's task; one that finds nothing waiting returns at once
        written += waiting.match_waiting_claims(claim_id=pk)
        now_left = waiting.waiting_claims(project.pk).count()
        runs += now_left < left
        left = now_left
    assert left == 0
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return wall * 1000 / len(ids), cpu * 1000 / len(ids), runs, written


# A burst of marks on claims the project already tracks: this many claims, each marked again
# this many times before the worker gets to them.
BURST_CLAIMS, BURST_MARKS = 8, 4


def _mentions_burst(
    project: Any, writer: Any, sentences: list[Any], *, deduped: bool
) -> tuple[int, float]:
    """New mentions of existing claims, all written before any matching runs; then matching as
    before (one full run per write) or as now (the tasks the writes queued). Returns the tasks
    run and the seconds of matching."""
    from annotations.models import Passage
    from claims.matching import match_claim, waiting
    from claims.models import Claim
    from claims.services import annotation_create, claim_create
    from common.models import OutboxMessage

    statements = [writer.variant(s).text for s in writer.rng.sample(sentences, BURST_CLAIMS)]
    claims = [claim_create(project=project, statement=s) for s in statements]
    for claim in claims:
        waiting.match_waiting_claims(claim_id=claim.pk)  # tracked and matched: not waiting
    marker = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    spans = Passage.objects.filter(article__project=project).order_by("?")
    spans = spans.select_related("article")[: BURST_CLAIMS * BURST_MARKS]
    for n, passage in enumerate(spans):
        claim = claims[n % BURST_CLAIMS]
        annotation_create(
            article=passage.article, start=passage.start, end=passage.end, claim=claim
        )
    started = time.perf_counter()
    if deduped:
        tasks = OutboxMessage.objects.filter(pk__gt=marker).values_list("args", flat=True)
        runs = 0
        for (claim_id,) in list(tasks):
            runs += waiting.match_waiting_claims(claim_id=claim_id) >= 0
    else:
        runs = len(spans)
        for n in range(runs):
            match_claim(claim_id=claims[n % BURST_CLAIMS].pk)
    seconds = time.perf_counter() - started
    ids = [c.pk for c in claims]
    if not deduped:  # before batching no claim waited: the marks the writes left go
        Claim.objects.filter(pk__in=ids).update(match_requested_at=None)
    assert not waiting.waiting_claims(project.pk).filter(pk__in=ids).exists()
    mode = "deduped" if deduped else "per write"
    print(f"mention burst {mode}: {runs} matching tasks, {seconds:.1f} s of matching")
    return runs, round(seconds, 2)


def _quiet_outbox() -> None:
    """No worker runs here: the tasks the services queue stay in the outbox, unsent."""
    from common import outbox

    outbox._send = lambda message: False  # type: ignore[assignment]


if __name__ == "__main__":
    main()
