"""A claim's wordings and a passage's units, embedded and profiled, ready to be scored.

A claim is searched for by all its wordings: its statement and the exact text of its mentions.
A passage is scored as a whole and by its clause windows, so a claim stated in one clause of a
long sentence is not diluted by the rest. Embeddings see alias variants replaced by their
canonical names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection

from annotations.models import Annotation
from annotations.services.processing import TEXT_SEARCH_CONFIG
from claims.matching.context import ProjectContext, embed_cached
from claims.matching.normalizers import clause_windows, fold
from claims.matching.signals import TextProfile
from claims.models import Claim

# Wordings of a claim used as queries: its statement and up to this many mentions.
MAX_MENTION_QUERIES = 6
# Claims embedded per batch when indexing a project.
INDEX_BATCH = 512


@dataclass
class ClaimQuery:
    """A claim's wordings (statement first, then mention quotes) and what they exclude."""

    claim_id: int
    labels: list[str]
    texts: list[str]
    vectors: np.ndarray
    profiles: list[TextProfile]
    # Spans already marked as mentions of the claim, per article: never proposed again.
    marked: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def is_marked(self, article_id: int, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.marked.get(article_id, ()))


@dataclass
class PassageUnit:
    """A passage or a clause window of it, in article offsets."""

    passage_id: int
    article_id: int
    start: int
    end: int
    vector: np.ndarray
    profile: TextProfile


def claims_index(claim_ids: list[int]) -> dict[int, np.ndarray]:
    """Embed claim statements (in batches) and refresh their full-text vectors."""
    vectors: dict[int, np.ndarray] = {}
    for offset in range(0, len(claim_ids), INDEX_BATCH):
        batch = list(
            Claim.objects.filter(pk__in=claim_ids[offset : offset + INDEX_BATCH]).values_list(
                "pk", "statement"
            )
        )
        embedded = embed_cached([statement for _, statement in batch])
        claims = [Claim(pk=pk, embedding=v) for (pk, _), v in zip(batch, embedded, strict=True)]
        Claim.objects.bulk_update(claims, ["embedding"])
        vectors.update({c.pk: v for c, v in zip(claims, embedded, strict=True)})
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE claims_claim SET search_vector = to_tsvector(%s::regconfig, statement) "
                "WHERE id = ANY(%s)",
                [TEXT_SEARCH_CONFIG, [pk for pk, _ in batch]],
            )
    return vectors


def claim_queries(claims: list[Claim], context: ProjectContext) -> dict[int, ClaimQuery]:
    """Build the wordings of many claims with one embedding batch and one mention query."""
    mentions: dict[int, list[tuple[int, int, int, int, str]]] = defaultdict(list)
    for pk, claim_id, article_id, start, end, exact in (
        Annotation.objects.filter(claim__in=claims)
        .order_by("-created_at")
        .values_list("pk", "claim_id", "article_id", "start", "end", "exact")
    ):
        mentions[claim_id].append((pk, article_id, start, end, exact))
    wordings: dict[int, list[tuple[str, str]]] = {}
    for claim in claims:
        items = [("statement", claim.statement)]
        for pk, *_, exact in mentions[claim.pk]:
            if exact not in {t for _, t in items} and len(items) <= MAX_MENTION_QUERIES:
                items.append((f"mention {pk}", exact))
        wordings[claim.pk] = items
    vectors = embed_texts([text for items in wordings.values() for _, text in items], context)
    queries: dict[int, ClaimQuery] = {}
    offset = 0
    for claim in claims:
        items = wordings[claim.pk]
        marked: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for _, article_id, start, end, _ in mentions[claim.pk]:
            marked[article_id].append((start, end))
        queries[claim.pk] = ClaimQuery(
            claim_id=claim.pk,
            labels=[label for label, _ in items],
            texts=[text for _, text in items],
            vectors=vectors[offset : offset + len(items)],
            profiles=[context.profile(text) for _, text in items],
            marked=dict(marked),
        )
        offset += len(items)
    return queries


def embed_texts(
    texts: list[str], context: ProjectContext, known: list[np.ndarray | None] | None = None
) -> np.ndarray:
    """Embeddings of texts as the model should see them: with every alias variant replaced by
    its canonical name, so "Newtown" and its old name embed alike. Texts without a variant
    keep their known (stored) embedding."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    aliases = context.vocab.aliases
    wanted = [aliases.normalise(fold(t)) if aliases.canonical else None for t in texts]
    wanted = [
        w if w is not None and w != fold(t) else None for w, t in zip(wanted, texts, strict=True)
    ]
    known = known or [None] * len(texts)
    to_embed = [
        w if w is not None else t
        for w, t, k in zip(wanted, texts, known, strict=True)
        if w is not None or k is None
    ]
    fresh = iter(embed_cached(to_embed)) if to_embed else iter(())
    return np.stack(
        [
            next(fresh) if w is not None or k is None else np.asarray(k)
            for w, k in zip(wanted, known, strict=True)
        ]
    )


def passage_units(
    passages: list[dict[str, Any]], context: ProjectContext
) -> list[list[PassageUnit]]:
    """Each passage as a whole plus its clause windows (embedded in one cached batch)."""
    windows = [clause_windows(p["text"]) for p in passages]
    texts = [p["text"] for p in passages]
    texts += [p["text"][a:b] for p, ws in zip(passages, windows, strict=True) for a, b in ws]
    known = [p["embedding"] for p in passages] + [None] * (len(texts) - len(passages))
    all_vectors = embed_texts(texts, context, known)
    whole_vectors = iter(all_vectors[: len(passages)])
    clause_vectors = iter(all_vectors[len(passages) :])
    units: list[list[PassageUnit]] = []
    for p, ws in zip(passages, windows, strict=True):
        own = [
            PassageUnit(
                p["id"],
                p["article_id"],
                p["start"],
                p["end"],
                next(whole_vectors),
                context.profile(p["text"]),
            )
        ]
        for a, b in ws:
            own.append(
                PassageUnit(
                    p["id"],
                    p["article_id"],
                    p["start"] + a,
                    p["start"] + b,
                    next(clause_vectors),
                    context.profile(p["text"][a:b]),
                )
            )
        units.append(own)
    return units
