"""A claim's wordings and a passage's units, embedded and profiled, ready to be scored.

A claim is searched for by all its wordings: its statement and the exact text of its mentions.
A passage is scored as a whole and by its clause windows, so a claim stated in one clause of a
long sentence is not diluted by the rest. Embeddings see alias variants replaced by their
canonical names.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from annotations.services.embeddings import unpack_vectors
from claims.matching.context import ProjectContext
from claims.matching.memo import embed_cached, embed_windows_cached
from claims.matching.normalizers import AliasTable, clause_windows, fold
from claims.matching.signals import TextProfile
from claims.models import Annotation, Claim

# Wordings of a claim used as queries: its statement and up to this many mentions.
MAX_MENTION_QUERIES = 6
# Claim queries kept per project context (a claim's wordings, vectors and profiles each).
QUERY_CACHE_SIZE = 20_000
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
    """A passage or a clause window of it, in article offsets. Its text profile is built on
    first use: of a passage's clauses only the one nearest to the claim is scored."""

    passage_id: int
    article_id: int
    start: int
    end: int
    vector: np.ndarray
    text: str
    context: ProjectContext = field(repr=False)

    @cached_property
    def profile(self) -> TextProfile:
        # A unit lives for one matching run, under one alias table: kept, not looked up again
        # for each of the hundreds of claim wordings it is compared with.
        return self.context.profile(self.text, self.context.language_of(self.article_id))


def claims_index(claim_ids: list[int]) -> dict[int, np.ndarray]:
    """Embed claim statements (in batches); PostgreSQL keeps their full-text vectors."""
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
    return vectors


def claim_queries(statements: dict[int, str], context: ProjectContext) -> dict[int, ClaimQuery]:
    """Build the wordings of many claims (id -> statement) with one embedding batch and one
    mention query. A claim whose statement and mentions are unchanged since this process last
    built its query, under the same alias table, gets that query again (context.queries)."""
    mentions: dict[int, list[tuple[int, int, int, int, str]]] = defaultdict(list)
    for pk, claim_id, article_id, start, end, exact in (
        Annotation.objects.filter(claim_id__in=list(statements))
        .order_by("-created_at")
        .values_list("pk", "claim_id", "article_id", "start", "end", "exact")
    ):
        mentions[claim_id].append((pk, article_id, start, end, exact))
    context.know_languages([m[1] for own in mentions.values() for m in own])
    languages = {pk: _wording_languages(mentions[pk], context) for pk in statements}
    keys = {
        pk: (context.aliases_version, pk, statement, tuple(mentions[pk]), languages[pk])
        for pk, statement in statements.items()
    }
    queries = {pk: context.queries[key] for pk, key in keys.items() if key in context.queries}
    fresh = _build_queries(
        {pk: s for pk, s in statements.items() if pk not in queries}, mentions, languages, context
    )
    if len(context.queries) + len(fresh) > QUERY_CACHE_SIZE:
        context.queries.clear()
    for pk, query in fresh.items():
        context.queries[keys[pk]] = query
    queries.update(fresh)
    return queries


def _wording_languages(
    mentions: list[tuple[int, int, int, int, str]], context: ProjectContext
) -> tuple[str, ...]:
    """The language of the statement, then of each mention (its article's). The statement is
    taken to be in the language most of its mentions are in (the project's main one when it
    has none): the editor words it beside the text it marked."""
    own = [context.language_of(article_id) for _, article_id, *_ in mentions]
    statement = Counter(own).most_common(1)[0][0] if own else context.vocab.language
    return (statement, *own)


def _build_queries(
    statements: dict[int, str],
    mentions: dict[int, list[tuple[int, int, int, int, str]]],
    languages: dict[int, tuple[str, ...]],
    context: ProjectContext,
) -> dict[int, ClaimQuery]:
    wordings: dict[int, list[tuple[str, str, str]]] = {}
    for pk, statement in statements.items():
        items = [("statement", statement, languages[pk][0])]
        for (mention_pk, *_, exact), language in zip(mentions[pk], languages[pk][1:], strict=True):
            if exact not in {t for _, t, _ in items} and len(items) <= MAX_MENTION_QUERIES:
                items.append((f"mention {mention_pk}", exact, language))
        wordings[pk] = items
    vectors = embed_texts([text for items in wordings.values() for _, text, _ in items], context)
    queries: dict[int, ClaimQuery] = {}
    offset = 0
    for pk, items in wordings.items():
        marked: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for _, article_id, start, end, _ in mentions[pk]:
            marked[article_id].append((start, end))
        queries[pk] = ClaimQuery(
            claim_id=pk,
            labels=[label for label, _, _ in items],
            texts=[text for _, text, _ in items],
            vectors=vectors[offset : offset + len(items)],
            profiles=[context.profile(text, language) for _, text, language in items],
            marked=dict(marked),
        )
        offset += len(items)
    return queries


def embed_texts(texts: list[str], context: ProjectContext) -> np.ndarray:
    """Embeddings of texts as the model should see them: with every alias variant replaced by
    its canonical name, so "Newtown" and its old name embed alike."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    aliases = context.vocab.aliases
    if aliases.canonical:
        texts = [_with_canonical_names(t, aliases) for t in texts]
    return embed_cached(texts)


def _with_canonical_names(text: str, aliases: AliasTable) -> str:
    """The text with alias variants replaced (folded), or as it is when it names none."""
    folded = fold(text)
    canonical = aliases.normalise(folded)
    return text if canonical == folded else canonical


def passage_units(
    passages: list[dict[str, Any]], context: ProjectContext
) -> list[list[PassageUnit]]:
    """Each passage as a whole plus its clause windows, with their vectors.

    The vectors stored at processing time are used as they are; a passage that names an alias
    variant is embedded again with canonical names (sentence and clauses in one model pass,
    cached), as is one stored before clause vectors were kept.
    """
    aliases = context.vocab.aliases
    context.know_languages([p["article_id"] for p in passages])
    prepared: list[tuple[list[tuple[int, int]], np.ndarray | None, np.ndarray | None]] = []
    redo_texts: list[str] = []
    redo_windows: list[list[tuple[int, int]]] = []
    for p in passages:
        text = p["text"]
        folded = fold(text)
        canonical = aliases.normalise(folded) if aliases.canonical else folded
        bounds = p.get("clause_bounds") or []
        stored = p.get("unit_vectors")
        if canonical == folded and stored is not None:
            windows = list(zip(bounds[::2], bounds[1::2], strict=True))
            vectors = unpack_vectors(stored)
            prepared.append((windows, vectors[0], vectors[1:]))
            continue
        windows = clause_windows(text)
        prepared.append((windows, None, None))
        if canonical == folded:
            redo_texts.append(text)
            redo_windows.append(windows)
        else:  # offsets move with the replacements; clauses end on word boundaries
            redo_texts.append(canonical)
            redo_windows.append(
                [(_shifted(text, a, aliases), _shifted(text, b, aliases)) for a, b in windows]
            )
    redone = iter(zip(*embed_windows_cached(redo_texts, redo_windows), strict=True))
    units: list[list[PassageUnit]] = []
    for p, (windows, whole, clauses) in zip(passages, prepared, strict=True):
        if whole is None or clauses is None:
            whole, clauses = next(redone)
        text = p["text"]
        own = [PassageUnit(p["id"], p["article_id"], p["start"], p["end"], whole, text, context)]
        for (a, b), vector in zip(windows, clauses, strict=True):
            own.append(
                PassageUnit(
                    p["id"],
                    p["article_id"],
                    p["start"] + a,
                    p["start"] + b,
                    vector,
                    text[a:b],
                    context,
                )
            )
        units.append(own)
    return units


def _shifted(text: str, offset: int, aliases: AliasTable) -> int:
    """Where `offset` of `text` falls once variants are replaced by canonical names."""
    return len(aliases.normalise(fold(text[:offset])))
