"""Where the time of one operation goes: the embedding model, the database, the rest (Python).

Everything is measured from the bench's side, through objects the product hands out: model
time by wrapping the forward pass of the transformer module of the process's one
SentenceTransformer (every caller reaches it through annotations.services.embeddings.get_model,
and `embed_with_windows`, which `embed` uses for batches too) and the `run` of the process's
ONNX Runtime session that short texts take (embeddings_onnx.session); database time with
Django's `connection.execute_wrapper` on the caller's connection (matching runs on it alone).
No product module carries a hook for this.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

from annotations.services import embeddings_onnx
from annotations.services.embeddings import get_model, model_threads


@dataclass
class Costs:
    model_s: float = 0.0
    texts_embedded: int = 0
    db_s: float = 0.0
    queries: int = 0


class _ModelTimer:
    """Installed once around a model pass; adds to whichever Costs is current. `feed`: which
    argument holds the tokenized batch (texts counted by its input_ids)."""

    current: Costs | None = None

    def __init__(self, forward: Callable[..., Any], feed: int) -> None:
        self.forward = forward
        self.feed = feed

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.forward(*args, **kwargs)
        finally:
            if self.current is not None:
                self.current.model_s += time.perf_counter() - started
                self.current.texts_embedded += len(args[self.feed]["input_ids"])


def _model_timers() -> list[_ModelTimer]:
    """The PyTorch transformer's forward and the ONNX Runtime session's run (short texts),
    wrapped once per process on the objects themselves."""
    module = get_model()[0]
    if not isinstance(module.forward, _ModelTimer):
        module.forward = _ModelTimer(module.forward, feed=0)  # type: ignore[method-assign]
    timers = [module.forward]
    runner = embeddings_onnx.session(model_threads())
    if runner is not None:  # None: this process embeds short texts with PyTorch too
        if not isinstance(runner.run, _ModelTimer):
            runner.run = _ModelTimer(runner.run, feed=1)
        timers.append(runner.run)
    return timers  # type: ignore[return-value]


def _db_timer(record: Callable[[float], None]) -> Callable[..., Any]:
    """A connection execute wrapper that passes each query's seconds to `record`."""

    def timer(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            record(time.perf_counter() - started)

    return timer


@contextlib.contextmanager
def measured() -> Iterator[Costs]:
    """Collect model and database time spent inside the block."""
    costs = Costs()
    timers = _model_timers()

    def own(seconds: float) -> None:
        costs.db_s += seconds
        costs.queries += 1

    for timer in timers:
        timer.current = costs
    try:
        with connection.execute_wrapper(_db_timer(own)):
            yield costs
    finally:
        for timer in timers:
            timer.current = None
