"""The matching engine: where is this claim stated, and which claims does this article state.

Both directions score (claim wording, passage) pairs with the same function
(pair_scoring.score_passage), so a pair gets the same score whether the claim or the article
came first. Entry points (called by claims.tasks and by the evaluation command, in-process):
match_claim, match_article (article_matching), claims_index, matching_rerun_project.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Q

from claims.matching import retrieval, writes
from claims.matching.article_matching import MATCH_BATCH, match_article
from claims.matching.config import matching_config
from claims.matching.context import ProjectContext, project_context
from claims.matching.memo import embed_cached
from claims.matching.pair_scoring import (
    EMBEDDING_TOP,
    ENGINE_VERSION,
    candidate_rows,
    evidence,
    passage_rows,
    score_passage,
    select_per_article,
)
from claims.matching.queries import (
    ClaimQuery,
    claim_queries,
    claims_index,
    passage_units,
)
from claims.matching.scoring import Bounds, score
from claims.matching.signals import pair_signals
from claims.models import CandidateState, Claim, ClaimRelation, MatchCandidate
from common.outbox import enqueue

__all__ = [
    "ENGINE_VERSION",
    "MATCH_BATCH",
    "TASK_REMATCH_PROJECT",
    "claim_link_rows",
    "claims_index",
    "match_article",
    "match_claim",
    "match_claims",
    "matching_rerun_project",
]

logger = logging.getLogger(__name__)

TASK_REMATCH_PROJECT = "claims.rematch_project"


def match_claim(*, claim_id: int) -> int:
    """Propose where one claim is stated and which claims it repeats, now (match_claims)."""
    return match_claims(claim_ids=[claim_id])


def match_claims(*, claim_ids: Sequence[int], then: Callable[[], object] | None = None) -> int:
    """Propose where each claim is stated in its project's articles, and which claims it
    repeats. `then` runs in the transaction of the candidates' writes, after them (a batch
    run's guarded release of its claims, claims.matching.waiting).

    1. Re-fetch the claims (gone: log and skip); embed their statements in one model call
       and store the vectors, in a short transaction of their own (no claim row stays locked
       while matching runs).
    2. Build every claim's wordings (statement and mention quotes) with one more model call.
    3. Per claim: retrieve passages near any wording (pgvector kNN + full-text), plus the
       passages of its pending candidates so they are re-scored rather than dropped; leave out
       passages already marked as mentions of the claim; score, keep the best per article,
       write (pending rows only), propose claim links.
    Returns the number of candidates written.
    """
    claims = list(Claim.objects.select_related("project").filter(pk__in=claim_ids).order_by("pk"))
    for gone in sorted(set(claim_ids) - {c.pk for c in claims}):
        logger.info("Claim %s no longer exists; nothing to match.", gone)
    projects = {c.project_id for c in claims}
    if len(projects) > 1:
        raise ValueError("match_claims matches claims of one project at a time.")
    if not claims:
        with transaction.atomic():
            if then is not None:
                then()
        return 0
    project_id = claims[0].project_id
    config = matching_config(claims[0].project.matching_settings)
    aliases = config["discover_aliases"]
    _store_embeddings(claims)
    # The word counts are brought up to date before the candidates' transaction, in one of
    # their own: their count lock is then not held while the claims are matched.
    context = project_context(project_id, discover_aliases_in_text=aliases)
    # One transaction: a single commit for every candidate written (each commit waits for the
    # disk), and a worker that dies half-way leaves nothing half-done.
    with transaction.atomic():
        queries = claim_queries({c.pk: c.statement for c in claims}, context)
        written = sum(_match_claim(c, queries[c.pk], context, config) for c in claims)
        if then is not None:
            then()
    return written


def _store_embeddings(claims: list[Claim]) -> None:
    """Embed the claims' statements (as read with the claims) in one call and store them."""
    vectors = embed_cached([c.statement for c in claims])
    for claim, vector in zip(claims, vectors, strict=True):
        claim.embedding = vector
    with transaction.atomic():
        Claim.objects.bulk_update(claims, ["embedding"])


def _match_claim(
    claim: Claim, query: ClaimQuery, context: ProjectContext, config: dict[str, Any]
) -> int:
    links = claim_link_rows(claim=claim, query=query, context=context, config=config)
    ids = retrieval.passages_for_claim(
        project_id=claim.project_id,
        vectors=list(query.vectors),
        texts=query.texts,
        k=config["retrieval_k"],
        vocab=context.vocab,
    )
    top = retrieval.nearest_per_article(
        project_id=claim.project_id, vectors=list(query.vectors), ids=ids, per_article=EMBEDDING_TOP
    )
    ids += top
    ids += list(
        MatchCandidate.objects.filter(claim=claim, state=CandidateState.PENDING)
        .exclude(passage=None)
        .values_list("passage_id", flat=True)
    )
    passages = [
        p
        for p in passage_rows(pk__in=list(dict.fromkeys(ids)))
        if not query.is_marked(p["article_id"], p["start"], p["end"])
    ]
    units = passage_units(passages, context)
    bounds = Bounds(config["weights"])
    keep = set(top)
    scored = [
        score_passage(
            query, u, context, bounds, config["store_floor"], keep=u[0].passage_id in keep
        )
        for u in units
    ]
    kept = select_per_article([s for s in scored if s is not None], config)
    rows = candidate_rows(claim.pk, kept, config)
    written = writes.write_claim_passages(
        rows, project_id=claim.project_id, claim_id=claim.pk, version=ENGINE_VERSION
    )
    return written + writes.write_claim_links(
        links, project_id=claim.project_id, claim_id=claim.pk, version=ENGINE_VERSION
    )


def claim_link_rows(
    *, claim: Claim, query: ClaimQuery, context: ProjectContext, config: dict[str, Any]
) -> list[writes.CandidateRow]:
    """Other claims of the project that state the same thing as this one (merge or same-as),
    scored statement against statement with the same signals. Reads only: the caller writes
    them (writes.write_claim_links)."""
    ids = retrieval.claims_near_claim(
        claim=claim, vector=query.vectors[0], k=10, vocab=context.vocab
    )
    linked = ClaimRelation.objects.filter(Q(source_claim=claim) | Q(target_claim=claim))
    excluded = {
        target if source == claim.pk else source
        for source, target in linked.values_list("source_claim_id", "target_claim_id")
    }
    decided = writes.decided_claim_pairs(claim.pk)
    others = [
        c
        for c in Claim.objects.filter(pk__in=ids)
        .exclude(pk__in=excluded)
        .values("pk", "statement", "embedding")
        if frozenset((claim.pk, c["pk"])) not in decided and c["embedding"] is not None
    ]
    rows = []
    for other in others:
        signals = pair_signals(
            query.profiles[0],
            context.profile(other["statement"]),
            cosine=float(np.dot(query.vectors[0], np.asarray(other["embedding"]))),
            vocab=context.vocab,
        )
        value, parts = score(signals, config["weights"])
        if value >= config["claim_threshold"]:
            detail = signals.as_dict()
            detail.update(contributions=parts, via="statement", evidence=evidence(detail))
            rows.append(
                writes.CandidateRow(
                    claim_id=claim.pk,
                    target_claim_id=other["pk"],
                    score=round(value, 4),
                    signals=detail,
                )
            )
    return rows


def matching_rerun_project(*, project_id: int) -> None:
    """Queue a full re-match of the project (admin action, `manage.py rematch`).

    One task is queued here (cheap for a web request); it indexes every claim in batches and
    marks every claim waiting for matching, queueing a matching task per batch of them
    (claims.matching.waiting.rematch_project), which covers every article.
    """
    with transaction.atomic():
        enqueue(TASK_REMATCH_PROJECT, project_id)
