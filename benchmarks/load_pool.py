"""The loading pipeline in a pool of processes, as the Celery worker runs it (`-c 2`).

Each process is a fresh interpreter (spawn: torch's thread pool does not survive a fork) that
sets Django up, declares its share of the cores to the model as the worker does
(`embeddings.share_cores`), and loads one untimed article (model, caches, first queries) and
builds the project's matching caches (vocabulary, claim wordings) before the pool is handed
back. Functions here run in those children, so the app is imported only
after `django.setup()`.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing.pool import AsyncResult, Pool
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.corpus import SyntheticArticle

# How often the pool's results are looked at while tasks run.
POLL_S = 0.005


def start_pool(*, workers: int, project_id: int, seed: int) -> Pool:
    """A pool of `workers` processes, each warmed up: returns once every one has loaded its
    warm-up article (an initializer runs before any task of its process)."""
    pool = multiprocessing.get_context("spawn").Pool(
        workers, initializer=_start, initargs=(workers, project_id, seed)
    )
    seen: set[int] = set()
    while len(seen) < workers:
        seen.update(pool.map(_pid, range(2 * workers), chunksize=1))
    return pool


def run_articles(
    pool: Pool, project_id: int, articles: list[SyntheticArticle], workers: int
) -> list[dict[str, float]]:
    """Every article through the pipeline as the Celery worker runs a bulk load.

    1. The loader extracts and stores each article (here in the pool, so its time counts as
       the worker's); the product queues its processing task, on the configured broker.
    2. The pool then runs what the product queued, in the broker's order: the Celery app's
       default queue (`app.conf`), at most `workers` x `worker_prefetch_multiplier` tasks at
       once, as the worker reserves them; each task runs through the app's task registry by
       its name, and what it queues in turn (a processed article's matching) joins the queue
       behind what waits. Nothing here knows which task follows which.
    3. It ends when the queue is empty and no task runs.

    Messages left in the queue by earlier work (the latency samples' claim matching, the
    warm-ups) are dropped first: those tasks ran in line already. Returns the seconds each
    task spent, by stage."""
    from config.celery import app

    timings: list[dict[str, float]] = []
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue(app.conf.task_default_queue)
        try:
            queue.clear()
            stores = [pool.apply_async(_store, (project_id, a)) for a in articles]
            reserved = workers * app.conf.worker_prefetch_multiplier
            timings += _drain(pool, queue, reserved, running=stores)
        finally:
            queue.close()
    return timings


def _drain(
    pool: Pool, queue: Any, reserved: int, running: list[AsyncResult[dict[str, float]]]
) -> list[dict[str, float]]:
    """Run the queue's tasks in the pool, `reserved` at most at once (what is `running`
    already, the stores, counts too), until none is left and nothing runs."""
    from annotations.services.vector_index import TASK_REBUILD_INDEX

    # Queued but not run here: the bench charges the index rebuild apart, amortized over the
    # rows it serves (benchmarks.loading.RebuildCost).
    uncharged = {TASK_REBUILD_INDEX}
    timings: list[dict[str, float]] = []
    while True:
        done = [r for r in running if r.ready()]
        timings += [r.get() for r in done]
        running = [r for r in running if r not in done]
        message = _take(queue) if len(running) < reserved else None
        if message is not None:
            name, args = message
            if name not in uncharged:
                running.append(pool.apply_async(_task, (name, args)))
        elif not running:
            return timings
        else:
            time.sleep(POLL_S)


def _take(queue: Any) -> tuple[str, list[Any]] | None:
    """The next task message (name, positional arguments), acknowledged; None if none waits."""
    try:
        message = queue.get(block=False)
    except queue.Empty:
        return None
    message.ack()
    args, _kwargs, _embed = message.payload  # Celery's message protocol 2
    return message.headers["task"], list(args)


def _start(workers: int, project_id: int, seed: int) -> None:
    import django

    django.setup()
    from annotations.services.embeddings import share_cores
    from benchmarks.corpus import NewsWriter

    share_cores(workers)
    _run(project_id, NewsWriter(seed + os.getpid()).article())
    _warm_matching(project_id)


def _pid(_: int) -> int:
    time.sleep(0.2)  # long enough that an idle process takes the next task
    return os.getpid()


def _run(project_id: int, article: SyntheticArticle) -> None:
    """One article through the whole pipeline, in this process (the warm-up)."""
    from annotations.models import Project
    from benchmarks.loading import STAGES, run_pipeline

    run_pipeline(Project.objects.get(pk=project_id), article, dict.fromkeys(STAGES, 0.0), {})


def _warm_matching(project_id: int) -> None:
    """What a worker that has matched for a while holds: the project's vocabulary and its
    claims' wordings. The warm-up article does not always build them: another process's
    matching run may have taken it (runs take every article waiting), and then this process's
    first matching in a measured round counted the whole project, which a worker that has
    been running does not (the bench's output shows it as a low load ratio for that round)."""
    from annotations.models import Project
    from claims.matching import retrieval
    from claims.matching.config import matching_config
    from claims.matching.context import project_context
    from claims.matching.queries import claim_queries

    config = matching_config(Project.objects.get(pk=project_id).matching_settings)
    context = project_context(project_id, discover_aliases_in_text=config["discover_aliases"])
    claim_queries(dict(retrieval.project_claims(project_id).statements), context)


def _store(project_id: int, article: SyntheticArticle) -> dict[str, float]:
    from annotations.models import Project
    from benchmarks.loading import store_article

    return store_article(Project.objects.get(pk=project_id), article)[1]


def _task(name: str, args: list[Any]) -> dict[str, float]:
    """One queued task, run as the worker runs it: found by name in the Celery app; its time
    is reported under its stage (benchmarks.loading.STAGES)."""
    from annotations.services.articles import TASK_PROCESS_ARTICLE
    from claims.receivers import TASK_MATCH_ARTICLE
    from config.celery import app

    stages = {TASK_PROCESS_ARTICLE: "segment_embed_index", TASK_MATCH_ARTICLE: "match"}

    app.loader.import_default_modules()  # the worker's autodiscovery of every app's tasks
    started = time.perf_counter()
    app.tasks[name](*args)
    return {stages.get(name, name): time.perf_counter() - started}
