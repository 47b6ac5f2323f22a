"""The vectors of a project's claims and of the passages marked as their mentions, as a
process keeps them in its project memo (`memo.py`) for matching new articles in memory.

The exact nearest claims of an article's passages among thousands are a matrix product in
memory; in PostgreSQL each passage's search read every claim's vector again. When the
project's matching version moves on, only claims and marks new or changed are read again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection

from annotations.models import EMBEDDING_DIM
from annotations.services.embeddings import unpack_vectors
from claims.matching.memo import project_memo
from claims.models import Claim

# The project's marks on claims, with what tells whether the passages under one changed: its
# span, its claim, and when its article was last processed (which rewrites the passages; as
# text, only compared: parsing the timestamps would cost more than the query).
_MARKS = """
SELECT m.id, m.claim_id, m.article_id, m.start, m."end", a.processed_at::text
FROM annotations_annotation m
JOIN annotations_article a ON a.id = m.article_id
WHERE a.project_id = %(project)s AND m.claim_id IS NOT NULL
ORDER BY m.id
"""
# The passages under the given marks: their stored float16 vectors, far cheaper to read than
# the vector column (read only for passages stored before those were kept).
_MARKED_PASSAGES = """
SELECT m.id, o.unit_vectors, CASE WHEN o.unit_vectors IS NULL THEN o.embedding END
FROM annotations_annotation m
JOIN annotations_passage o
  ON o.article_id = m.article_id AND m.start < o."end" AND o.start < m."end"
WHERE m.id = ANY(%(marks)s) AND o.embedding IS NOT NULL
"""


@dataclass
class MarkedPassages:
    """The passages under the project's marks: per passage, the claim marked and the article."""

    claim_ids: np.ndarray
    article_ids: np.ndarray
    vectors: np.ndarray
    # mark id -> (its row of _MARKS, its passages' vectors)
    marks: dict[int, tuple[tuple[Any, ...], list[np.ndarray]]] = field(default_factory=dict)


def marked_passages(project_id: int) -> MarkedPassages:
    """The vectors of the passages marked as mentions in the project, for its current
    matching version."""
    return project_memo(project_id).get("marked", lambda held: _marked_passages(project_id, held))


def _marked_passages(project_id: int, cached: MarkedPassages | None) -> MarkedPassages:
    """The marks are few beside all passages and change rarely beside the articles matched:
    only the passages under marks new or changed (span, claim, or their article processed
    again) since `cached` are read."""
    with connection.cursor() as cursor:
        cursor.execute(_MARKS, {"project": project_id})
        rows = {row[0]: tuple(row) for row in cursor.fetchall()}
    known = cached.marks if cached is not None else {}
    missing = [pk for pk, row in rows.items() if known.get(pk, ((),))[0] != row]
    if cached is not None and not missing and len(known) == len(rows):
        return cached
    marks = {pk: known[pk] for pk in rows if pk not in missing}
    read: dict[int, list[np.ndarray]] = {pk: [] for pk in missing}
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(_MARKED_PASSAGES, {"marks": missing})
            for pk, packed, raw in cursor.fetchall():
                read[pk].append(unpack_vectors(packed)[0] if packed else _vector(raw))
    marks.update({pk: (rows[pk], read[pk]) for pk in missing})
    under = [(row[1], row[2], v) for pk in sorted(marks) for row, vs in [marks[pk]] for v in vs]
    return MarkedPassages(
        claim_ids=np.array([c for c, _, _ in under], dtype=np.int64),
        article_ids=np.array([a for _, a, _ in under], dtype=np.int64),
        vectors=(
            np.stack([v for _, _, v in under])
            if under
            else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        ),
        marks=marks,
    )


@dataclass
class ProjectClaims:
    """The project's claims with an embedding: ids, statements and unit vectors (rows)."""

    ids: np.ndarray
    statements: dict[int, str]
    vectors: np.ndarray
    # claim id -> (the statement its vector was read with, the vector)
    known: dict[int, tuple[str, np.ndarray]] = field(default_factory=dict, repr=False)


def project_claims(project_id: int) -> ProjectClaims:
    """The project's claims with an embedding, for its current matching version."""
    return project_memo(project_id).get("claims", lambda held: _project_claims(project_id, held))


def _project_claims(project_id: int, cached: ProjectClaims | None) -> ProjectClaims:
    """Statements are read every time; only the vectors of claims new since `cached`, or whose
    statement changed, are read."""
    rows = list(
        Claim.objects.filter(project_id=project_id)
        .exclude(embedding=None)
        .values_list("pk", "statement")
    )
    known = dict(cached.known) if cached is not None else {}
    missing = [pk for pk, statement in rows if known.get(pk, ("",))[0] != statement]
    if missing:
        for pk, statement, vector in Claim.objects.filter(pk__in=missing).values_list(
            "pk", "statement", "embedding"
        ):
            if vector is not None:
                known[pk] = (statement, np.asarray(vector, dtype=np.float32))
    present = [(pk, statement) for pk, statement in rows if pk in known]
    known = {pk: known[pk] for pk, _ in present}
    if not present:
        return ProjectClaims(
            np.zeros(0, dtype=np.int64), {}, np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        )
    return ProjectClaims(
        ids=np.array([pk for pk, _ in present]),
        statements=dict(present),
        vectors=np.stack([known[pk][1] for pk, _ in present]),
        known=known,
    )


def _vector(raw: Any) -> np.ndarray:
    """A vector column read through a plain cursor: text ('[0.1,...]', valid JSON) unless the
    connection registered pgvector's types."""
    return np.asarray(json.loads(raw) if isinstance(raw, str) else raw, dtype=np.float32)
