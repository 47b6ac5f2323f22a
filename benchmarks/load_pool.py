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
from multiprocessing.pool import Pool
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
    """Every article through the pipeline, one per process at a time, in the order given;
    the seconds each spent in each stage."""
    return pool.starmap(_run, [(project_id, a) for a in articles], chunksize=1)


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


def _run(project_id: int, article: SyntheticArticle) -> dict[str, float]:
    from annotations.models import Project
    from benchmarks.loading import STAGES, run_pipeline

    stage_s = dict.fromkeys(STAGES, 0.0)
    run_pipeline(Project.objects.get(pk=project_id), article, stage_s, {})
    return stage_s
