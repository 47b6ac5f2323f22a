"""The loading pipeline in a pool of processes, as the Celery worker runs it (`-c 2`).

Each process is a fresh interpreter (spawn: torch's thread pool does not survive a fork) that
sets Django up, declares its share of the cores to the model as the worker does
(`embeddings.share_cores`), and loads one untimed article (model, caches, first queries) before
the pool is handed back. Functions here run in those children, so the app is imported only
after `django.setup()`.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing.pool import AsyncResult, Pool
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.corpus import SyntheticArticle


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
    pool: Pool, project_id: int, articles: list[SyntheticArticle]
) -> list[dict[str, float]]:
    """Every article through the pipeline in the order the Celery worker's queue gives: the
    articles' loading tasks (extract and store, then segment, embed and index) first, as a bulk
    load queues them; each article's matching task joins the queue when its loading ends
    (article_process queues it at its commit), behind the loading still waiting. A matching
    task matches the articles waiting then (engine.match_article), so the tasks of those it
    took find nothing left to do. Returns the seconds each task spent in each stage."""
    timings: list[dict[str, float]] = []
    matches: list[AsyncResult[dict[str, float]]] = []

    def loaded(result: tuple[int, dict[str, float]]) -> None:
        # runs in the pool's result thread, before the loading task counts as done
        article_id, stage_s = result
        timings.append(stage_s)
        matches.append(pool.apply_async(_match, (article_id,)))

    loads = [pool.apply_async(_load, (project_id, a), callback=loaded) for a in articles]
    for load in loads:
        load.get()
    return timings + [match.get() for match in matches]


def _start(workers: int, project_id: int, seed: int) -> None:
    import django

    django.setup()
    from annotations.services.embeddings import share_cores
    from benchmarks.corpus import NewsWriter

    share_cores(workers)
    _run(project_id, NewsWriter(seed + os.getpid()).article())


def _pid(_: int) -> int:
    time.sleep(0.2)  # long enough that an idle process takes the next task
    return os.getpid()


def _run(project_id: int, article: SyntheticArticle) -> None:
    """One article through the whole pipeline, in this process (the warm-up)."""
    from annotations.models import Project
    from benchmarks.loading import STAGES, run_pipeline

    run_pipeline(Project.objects.get(pk=project_id), article, dict.fromkeys(STAGES, 0.0), {})


def _load(project_id: int, article: SyntheticArticle) -> tuple[int, dict[str, float]]:
    from annotations.models import Project
    from benchmarks.loading import load_article

    return load_article(Project.objects.get(pk=project_id), article)


def _match(article_id: int) -> dict[str, float]:
    from claims import matching

    started = time.perf_counter()
    matching.match_article(article_id=article_id)
    return {"match": time.perf_counter() - started}
