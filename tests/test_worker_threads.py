"""The model's threads: a Celery worker's pool processes share the cores, other processes use
them all (an explicit CLAIMTRACK_TORCH_THREADS wins); the pool processes run
CLAIMTRACK_WORKER_NICE steps of niceness below the worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from annotations.services import embeddings
from config.celery import _share_cores

CORES = len(os.sched_getaffinity(0))


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    embeddings.share_cores(1)


def test_a_plain_process_uses_every_core(settings) -> None:
    settings.CLAIMTRACK_TORCH_THREADS = 0
    assert embeddings.model_threads() == CORES


def test_a_prefork_worker_gives_each_process_its_share(settings) -> None:
    settings.CLAIMTRACK_TORCH_THREADS = 0
    _share_cores(sender=SimpleNamespace(concurrency=2, pool_cls="prefork"))
    assert embeddings.model_threads() == max(1, CORES // 2)
    _share_cores(sender=SimpleNamespace(concurrency=4 * CORES, pool_cls="prefork"))
    assert embeddings.model_threads() == 1


def test_a_solo_or_threaded_worker_keeps_every_core(settings) -> None:
    settings.CLAIMTRACK_TORCH_THREADS = 0
    for pool in ("solo", "threads"):
        _share_cores(sender=SimpleNamespace(concurrency=2, pool_cls=pool))
        assert embeddings.model_threads() == CORES


def test_the_setting_wins(settings) -> None:
    settings.CLAIMTRACK_TORCH_THREADS = 3
    _share_cores(sender=SimpleNamespace(concurrency=2, pool_cls="prefork"))
    assert embeddings.model_threads() == 3


def test_a_worker_process_gives_numpy_one_blas_thread() -> None:
    from threadpoolctl import threadpool_info

    _share_cores(sender=SimpleNamespace(concurrency=2, pool_cls="prefork"))
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)


def _niceness_in_a_pool_process(settings, steps: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(niceness before, after) the pool-process start handler ran in a forked process."""
    import multiprocessing

    from config.celery import _yield_cores_to_the_web

    settings.CLAIMTRACK_WORKER_NICE = steps
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def child() -> None:
        before = os.nice(0)
        _yield_cores_to_the_web()
        queue.put((before, os.nice(0)))

    process = context.Process(target=child)
    process.start()
    result = queue.get(timeout=30)
    process.join(timeout=30)
    return result


@pytest.mark.skipif(os.nice(0) >= 10, reason="this process's niceness leaves no room below it")
def test_a_pool_process_runs_its_steps_of_niceness_below_the_worker(settings) -> None:
    before, after = _niceness_in_a_pool_process(settings, 5)
    assert after == before + 5


def test_no_steps_leave_a_pool_process_at_the_worker_s_niceness(settings) -> None:
    before, after = _niceness_in_a_pool_process(settings, 0)
    assert after == before
