"""Everything the matching core keeps in a process between runs, in one place.

The module-level mutable state of `claims.matching`, all of it:
- `_projects`: one `ProjectMemo` per project, at most MEMO_PROJECTS (the least recently used
  is dropped). Each part of it (the vocabulary, the marked passages, the claim vectors) is
  valid for one matching version of its project: the row of `claims_matchingversion` that
  triggers bump in the same transaction as every change matching reads (passages, an
  article's processing, marks, claims, aliases; migration `claims/0005`). A part built for an
  older version is handed to its builder, which may bring it up to date rather than read
  everything again.
- `_texts` and `_windows`: embeddings by text (claim wordings, passages with alias variants
  replaced), bounded LRUs; a text's vectors depend on the text alone.
- functools caches whose values depend on their arguments alone: `normalizers.text.fold` and
  `stem`, `normalizers.names.name_similarity` and `_alias_pattern`, `scorer._read` (the
  shipped coefficients), `retrieval._iterative_scans` (the server's pgvector version).
- outside `claims.matching`, one model per process: `annotations.services.embeddings` (the
  SentenceTransformer) and `embeddings_onnx` (its ONNX Runtime session).

A process that starts, or sees a new version, builds a part from what PostgreSQL holds; what
it keeps is a memo, never the only copy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import numpy as np
from django.db import connection

from annotations.models import EMBEDDING_DIM
from annotations.services.embeddings import embed, embed_with_windows

# Projects whose memo a process keeps: a worker serves one story desk at a time, rarely more.
MEMO_PROJECTS = 4
# Embeddings of mention texts and claim wordings kept per process (a vector each).
EMBEDDING_CACHE_SIZE = 50_000
# Passages embedded again with alias variants replaced (a vector per clause each).
WINDOWED_CACHE_SIZE = EMBEDDING_CACHE_SIZE // 4

T = TypeVar("T")
Version = tuple[Any, ...]

_lock = threading.Lock()


class ProjectMemo:
    """What one process keeps of one project, part by part, each part tagged with the
    project's matching version it was built for."""

    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self.version: Version = ()
        self._parts: dict[str, tuple[Version, Any]] = {}

    def get(self, name: str, build: Callable[[Any | None], T]) -> T:
        """The part `name` for the current version; `build(previous)` makes it when the held
        one (passed as `previous`, None if there is none) was built for another version."""
        held = self._parts.get(name)
        if held is not None and held[0] == self.version:
            return held[1]  # type: ignore[no-any-return]
        value = build(held[1] if held is not None else None)
        self._parts[name] = (self.version, value)
        return value


class _LRU(OrderedDict[Hashable, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Hashable, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


_projects: _LRU = _LRU(MEMO_PROJECTS)
_texts: _LRU = _LRU(EMBEDDING_CACHE_SIZE)
_windows: _LRU = _LRU(WINDOWED_CACHE_SIZE)

# The project's row and the global aliases' row (project 0). xmin, the transaction that wrote
# the row, tells two versions of one number apart: one written by a transaction that rolled
# back (whose memo saw rows that never were) and one written after it.
_VERSION = """
SELECT project_id, version, xmin::text FROM claims_matchingversion
WHERE project_id = ANY(%s) ORDER BY project_id
"""


def matching_version(project_id: int) -> Version:
    """The project's matching version as this transaction sees it (one indexed query)."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION, [[0, project_id]])
        return tuple(cursor.fetchall())


def project_memo(project_id: int) -> ProjectMemo:
    """The process's memo of the project, set to the project's current version."""
    version = matching_version(project_id)
    with _lock:
        memo = _projects.get(project_id)
        if memo is None:
            memo = ProjectMemo(project_id)
        _projects.put(project_id, memo)
    memo.version = version
    return memo


def forget() -> None:
    """Drop everything kept (what a new process starts with)."""
    with _lock:
        _projects.clear()
        _texts.clear()
        _windows.clear()


def embed_cached(texts: Sequence[str]) -> np.ndarray:
    """Unit embeddings of `texts`, computing only the ones not seen before, in one batch."""
    if not texts:  # a project with no claims yet: nothing to embed
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    with _lock:
        found = {t: _texts[t] for t in texts if t in _texts}
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        for text, vector in zip(missing, embed(missing), strict=True):
            found[text] = vector
        with _lock:
            for text in missing:
                _texts.put(text, found[text])
    return np.stack([found[t] for t in texts])


def embed_windows_cached(
    texts: Sequence[str], windows: Sequence[Sequence[tuple[int, int]]]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """`embed_with_windows` for texts the database holds no vectors for (alias-normalised
    passages, passages stored before clause vectors were kept), remembered per process."""
    keys = [(t, tuple(w)) for t, w in zip(texts, windows, strict=True)]
    with _lock:
        found = {k: _windows[k] for k in keys if k in _windows}
    missing = [k for k in dict.fromkeys(keys) if k not in found]
    if missing:
        whole, parts = embed_with_windows([t for t, _ in missing], [list(w) for _, w in missing])
        for key, vector, clauses in zip(missing, whole, parts, strict=True):
            found[key] = (vector, clauses)
        with _lock:
            for key in missing:
                _windows.put(key, found[key])
    return [found[k][0] for k in keys], [found[k][1] for k in keys]
