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
    """Every article through the pipeline in the order a bulk load gives the Celery worker.

    - The loader extracts and stores each article and queues its processing task (here the
      loading runs in the pool too, first, so its time counts as the worker's).
    - Each processing task joins the queue when its article is stored. A processing run
      embeds the articles waiting then, up to processing.PROCESS_BATCH, so the tasks of those
      it took find nothing left to do (or, if that run is still going, would be asked again
      later by the worker: here they simply end, as the run holding them finishes them).
    - Each article's matching task joins the queue when a run has processed it (its commit
      queues it), behind the work still waiting; a matching run matches the articles waiting
      then, up to claims.matching.engine.MATCH_BATCH.

    Returns the seconds each task spent in its stage."""
    timings: list[dict[str, float]] = []
    processes: list[AsyncResult[tuple[list[int], dict[str, float]]]] = []
    matches: list[AsyncResult[dict[str, float]]] = []

    # Callbacks run in the pool's result thread before their task counts as done, so once a
    # stage's tasks are all done, every task of the next stage is queued.
    def stored(result: tuple[int, dict[str, float]]) -> None:
        article_id, stage_s = result
        timings.append(stage_s)
        processes.append(pool.apply_async(_process, (article_id,), callback=processed))

    def processed(result: tuple[list[int], dict[str, float]]) -> None:
        article_ids, stage_s = result
        timings.append(stage_s)
        matches.extend(pool.apply_async(_match, (pk,)) for pk in article_ids)

    stores = [pool.apply_async(_store, (project_id, a), callback=stored) for a in articles]
    for store in stores:
        store.get()
    for process in processes:
        process.get()
    return timings + [match.get() for match in matches]


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
    first matching in a measured round counted the whole project (~20 s at a million
    passages; seen once in a run, load_ratio 0.21)."""
    from annotations.models import Project
    from claims.matching import retrieval
    from claims.matching.config import matching_config
    from claims.matching.context import project_context
    from claims.matching.queries import claim_queries

    config = matching_config(Project.objects.get(pk=project_id).matching_settings)
    context = project_context(project_id, discover_aliases_in_text=config["discover_aliases"])
    claim_queries(dict(retrieval.project_claims(project_id).statements), context)


def _store(project_id: int, article: SyntheticArticle) -> tuple[int, dict[str, float]]:
    from annotations.models import Project
    from benchmarks.loading import store_article

    return store_article(Project.objects.get(pk=project_id), article)


def _process(article_id: int) -> tuple[list[int], dict[str, float]]:
    from annotations.services.processing import articles_process

    started = time.perf_counter()
    run = articles_process(article_id=article_id)
    return run.processed, {"segment_embed_index": time.perf_counter() - started}


def _match(article_id: int) -> dict[str, float]:
    from claims import matching

    started = time.perf_counter()
    matching.match_article(article_id=article_id)
    return {"match": time.perf_counter() - started}
