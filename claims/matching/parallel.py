"""Reads that run beside the caller, on their own database connections.

Matching a claim also looks for the other claims it repeats: their queries and scoring need
nothing from the passages' retrieval and scoring, so they run beside them, on a reader thread.
A thread releases the GIL while it waits on PostgreSQL, so the waits of one overlap the other's
work (measured at 10^6 passages, 2 cores: ~15 ms off a ~155 ms match). Retrieval queries run
beside the model's embedding, tried too, slowed it as much as they saved: the model already
uses both cores.

Each thread reads through its own connection (Django's are per thread), which sees committed
rows only: reads run beside the caller only when it holds no transaction (a worker's task, the
bench). Inside one (a test's, the evaluation's rolled-back run) they run in line, with the same
results.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, connections

T = TypeVar("T")

_lock = threading.Lock()
_pool: tuple[int, int, ThreadPoolExecutor] | None = None  # (pid that made it, threads, pool)
# Database execute wrappers every read beside the caller runs under (the bench's timers).
_wrappers: list[Callable[..., Any]] = []


def threads() -> int:
    """Reader threads per process (CLAIMTRACK_MATCHING_THREADS; 0: every read in line)."""
    return int(settings.CLAIMTRACK_MATCHING_THREADS)


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        # A forked child (a Celery prefork process) must not use its parent's threads.
        if _pool is None or _pool[0] != os.getpid():
            count = threads()
            _pool = (os.getpid(), count, ThreadPoolExecutor(count, "claimtrack-reads"))
        return _pool[2]


def _in_thread(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    # A connection an earlier read left broken, or older than CONN_MAX_AGE, is replaced.
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
    with contextlib.ExitStack() as stack:
        for wrapper in list(_wrappers):
            stack.enter_context(connection.execute_wrapper(wrapper))
        return fn(*args, **kwargs)


class Reads:
    """Reads started by one caller; `submit` returns a Future either way."""

    def __init__(self, *, beside: bool) -> None:
        self.beside = beside
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self.beside:
            future = _executor().submit(_in_thread, fn, args, kwargs)
            self.futures.append(future)
            return future
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as exc:  # raised where the caller asks for the result, as beside
            done.set_exception(exc)
        return done


@contextlib.contextmanager
def reads() -> Iterator[Reads]:
    """Open before the caller's own transaction: whether one is open decides where reads run.
    On leaving, every read started has ended (none outlives the caller's work)."""
    group = Reads(beside=threads() > 0 and not connection.in_atomic_block)
    try:
        yield group
    finally:
        wait(group.futures)


@contextlib.contextmanager
def wrapped(wrapper: Callable[..., Any]) -> Iterator[None]:
    """Run every read beside the caller under a database execute wrapper (for the duration)."""
    _wrappers.append(wrapper)
    try:
        yield
    finally:
        _wrappers.remove(wrapper)


def shutdown(timeout: float = 30.0) -> None:
    """Close the threads' connections and stop them (before a test database is dropped)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None or pool[0] != os.getpid():
        return
    _, count, executor = pool
    barrier = threading.Barrier(count)

    def close() -> None:
        connections.close_all()
        # Each thread takes one of these and waits for the others: every thread closes its own.
        barrier.wait(timeout)

    for _ in range(count):
        executor.submit(close)
    executor.shutdown(wait=True)
