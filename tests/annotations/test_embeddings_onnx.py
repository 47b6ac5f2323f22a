"""Short texts are embedded by ONNX Runtime (annotations.services.embeddings_onnx): the vectors
must be the ones SentenceTransformer.encode gives, and any failure must fall back to PyTorch."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from annotations.services import embeddings_onnx
from annotations.services.embeddings import SHORT_BATCH, embed, get_model, model_threads

TEXTS = [
    "The strike by ferry workers has lasted nine weeks, union leader Anna Kowalski said.",
    "Repairs to the old pier will cost 4 million euros.",
    "Ja.",
    "Die Fähre fährt nicht mehr — „bis auf Weiteres“, sagt der Rat.",
]


def encoded(texts: list[str]) -> np.ndarray:
    return get_model().encode(texts, normalize_embeddings=True, convert_to_numpy=True)


@pytest.fixture
def fresh(settings, tmp_path: Path) -> Any:  # type: ignore[no-untyped-def]
    """A machine that has not exported the graph yet, and a process with no session."""
    settings.VAR_DIR = tmp_path
    embeddings_onnx.forget_session()
    yield tmp_path
    embeddings_onnx.forget_session()  # the next tests load the machine's graph again


def passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The batch size of every pass of the process's ONNX Runtime session."""
    calls: list[int] = []
    runner = embeddings_onnx.session(model_threads())
    assert runner is not None
    run = runner.run

    def counted(names: Any, feed: dict[str, np.ndarray]) -> Any:
        calls.append(len(feed["input_ids"]))
        return run(names, feed)

    monkeypatch.setattr(runner, "run", counted)
    return calls


def test_short_texts_embed_through_onnx_runtime_as_the_model_does(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = passes(monkeypatch)
    one = np.stack([embed([t])[0] for t in TEXTS])
    together = embed(TEXTS)
    assert calls == [1, 1, 1, 1, len(TEXTS)]
    reference = encoded(TEXTS)
    assert np.abs(one - reference).max() < 1e-5
    assert np.abs(together - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_a_large_batch_keeps_the_pytorch_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = passes(monkeypatch)
    texts = [f"Sentence number {i} about the harbour." for i in range(SHORT_BATCH + 1)]
    vectors = embed(texts)
    assert calls == []
    assert np.abs(vectors - encoded(texts)).max() < 1e-6


def test_the_first_process_exports_the_graph_whole(fresh: Path) -> None:
    vectors = embed(TEXTS[:2])
    path = embeddings_onnx.model_file()
    assert path.parent == fresh / "models" and path.stat().st_size > 10_000_000
    assert list(path.parent.glob("*.part")) == []  # written aside, then renamed
    assert np.abs(vectors - encoded(TEXTS[:2])).max() < 1e-5


def test_a_graph_that_cannot_be_loaded_falls_back_to_pytorch(fresh: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    path = embeddings_onnx.model_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an ONNX graph")
    with caplog.at_level(logging.ERROR, logger="annotations.services.embeddings_onnx"):
        vectors = embed(TEXTS[:2])
        embed(TEXTS[2:])
    assert caplog.text.count("ONNX Runtime unavailable") == 1  # tried once per process
    assert np.abs(vectors - encoded(TEXTS[:2])).max() < 1e-6
