"""The model's threads: a Celery worker's pool processes share the cores, other processes use
them all (an explicit CLAIMTRACK_TORCH_THREADS wins)."""

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
