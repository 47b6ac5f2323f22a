"""Idempotent candidate writes: upserts on the (claim, passage) / (claim, target_claim) unique
constraints that touch pending rows only.

An editor's decision (accepted, rejected, related) is final for its pair: the upsert's
`DO UPDATE ... WHERE state = 'pending'` leaves such a row exactly as it is, and since the row
still holds the unique pair, the pair can never be inserted (proposed) again. Pending rows the
new run no longer proposes are machine-made and are deleted, so the queue never shows stale
proposals.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from claims.models import CandidateState, MatchCandidate

# Rows per INSERT statement; each row is ~1-2 kB of signals JSON.
UPSERT_BATCH = 500


@dataclass(frozen=True)
class CandidateRow:
    claim_id: int
    score: float
    signals: dict[str, Any]
    passage_id: int | None = None
    article_id: int | None = None
    target_claim_id: int | None = None
    start: int | None = None
    end: int | None = None


# The rows go as one JSON array (jsonb_to_recordset), not a VALUES list of 13 placeholders a
# row: the driver binds parameters on the client, and quoting one long string costs far less
# than parsing a statement of thousands of placeholders and quoting each (headline figure: the
# bench's match latency).
_UPSERT = """
INSERT INTO {table} (created_at, updated_at, project_id, claim_id, passage_id, article_id,
  target_claim_id, start, "end", score, signals, engine_version, state)
SELECT %(now)s, %(now)s, %(project)s, r.claim_id, r.passage_id, r.article_id,
  r.target_claim_id, r.start, r."end", r.score, r.signals, %(version)s, %(pending)s
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(claim_id bigint, passage_id bigint,
  article_id bigint, target_claim_id bigint, start integer, "end" integer,
  score double precision, signals jsonb)
ON CONFLICT {conflict} DO UPDATE SET score = EXCLUDED.score, signals = EXCLUDED.signals,
  start = EXCLUDED.start, "end" = EXCLUDED."end", engine_version = EXCLUDED.engine_version,
  updated_at = EXCLUDED.updated_at
WHERE {table}.state = %(pending)s
"""


def _upsert(rows: Sequence[CandidateRow], *, project_id: int, version: str, target: str) -> None:
    conflict = (
        "(claim_id, passage_id) WHERE passage_id IS NOT NULL"
        if target == "passage"
        else "(claim_id, target_claim_id) WHERE target_claim_id IS NOT NULL"
    )
    sql = _UPSERT.format(table=MatchCandidate._meta.db_table, conflict=conflict)
    fixed: dict[str, Any] = {
        "now": timezone.now(),
        "project": project_id,
        "version": version,
        "pending": CandidateState.PENDING.value,
    }
    for offset in range(0, len(rows), UPSERT_BATCH):
        batch = [vars(r) for r in rows[offset : offset + UPSERT_BATCH]]  # fields by name
        with connection.cursor() as cursor:
            cursor.execute(sql, {**fixed, "rows": json.dumps(batch)})


def write_claim_passages(
    rows: Sequence[CandidateRow], *, project_id: int, claim_id: int, version: str
) -> int:
    """Replace the claim's pending passage candidates by `rows` (decided rows stay)."""
    with transaction.atomic(savepoint=False):
        _upsert(rows, project_id=project_id, version=version, target="passage")
        MatchCandidate.objects.filter(
            claim_id=claim_id, passage__isnull=False, state=CandidateState.PENDING
        ).exclude(passage_id__in=[r.passage_id for r in rows]).delete()
    return len(rows)


def write_article_passages(
    rows: Sequence[CandidateRow], *, project_id: int, article_ids: Sequence[int], version: str
) -> int:
    """Replace the articles' pending candidates by `rows` (decided rows stay). Rows a claim's
    own matching keeps for recall (its nearest passages by the embedding, `embedding_top`)
    are that claim's to replace: an article's run scores only a few passages per claim."""
    keep = {(r.claim_id, r.passage_id) for r in rows}
    with transaction.atomic(savepoint=False):
        _upsert(rows, project_id=project_id, version=version, target="passage")
        stale = [
            pk
            for pk, claim_id, passage_id in MatchCandidate.objects.filter(
                article_id__in=article_ids, state=CandidateState.PENDING
            )
            .exclude(signals__embedding_top=True, target_claim=None)
            .values_list("pk", "claim_id", "passage_id")
            if (claim_id, passage_id) not in keep
        ]
        MatchCandidate.objects.filter(pk__in=stale, state=CandidateState.PENDING).delete()
    return len(rows)


def write_claim_links(
    rows: Iterable[CandidateRow], *, project_id: int, claim_id: int, version: str
) -> int:
    """Replace the claim's pending claim-to-claim candidates (either direction) by `rows`.

    Each pair is stored once, from the older claim to the newer, so "A same as B" and
    "B same as A" never both wait in the queue.
    """
    ordered = [
        CandidateRow(
            claim_id=min(r.claim_id, r.target_claim_id or 0),
            target_claim_id=max(r.claim_id, r.target_claim_id or 0),
            score=r.score,
            signals=r.signals,
        )
        for r in rows
    ]
    keep = {(r.claim_id, r.target_claim_id) for r in ordered}
    with transaction.atomic(savepoint=False):
        _upsert(ordered, project_id=project_id, version=version, target="claim")
        pending = MatchCandidate.objects.filter(
            target_claim__isnull=False, state=CandidateState.PENDING
        ).filter(claim_id=claim_id) | MatchCandidate.objects.filter(
            target_claim_id=claim_id, state=CandidateState.PENDING
        )
        stale = [
            pk
            for pk, a, b in pending.values_list("pk", "claim_id", "target_claim_id")
            if (a, b) not in keep
        ]
        MatchCandidate.objects.filter(pk__in=stale, state=CandidateState.PENDING).delete()
    return len(ordered)


def decided_claim_pairs(claim_id: int) -> set[frozenset[int]]:
    """Claim pairs an editor already decided, in either direction: never proposed again."""
    rows = MatchCandidate.objects.filter(target_claim__isnull=False).exclude(
        state=CandidateState.PENDING
    )
    pairs = (rows.filter(claim_id=claim_id) | rows.filter(target_claim_id=claim_id)).values_list(
        "claim_id", "target_claim_id"
    )
    return {frozenset(pair) for pair in pairs}
