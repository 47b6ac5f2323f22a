"""The matching engine: where is this claim stated, and which claims does this article state.

Both directions score (claim wording, passage) pairs with the same function
(pair_scoring.score_passage), so a pair gets the same score whether the claim or the article
came first. Entry points (called by claims.tasks and by the evaluation command, in-process):
match_claim, match_article (article_matching), claims_index, matching_rerun_project.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Q

from claims.matching import retrieval, writes
from claims.matching.article_matching import MATCH_BATCH, match_article
from claims.matching.config import matching_config
from claims.matching.context import ProjectContext, project_context
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
    claim_embed,
    claim_queries,
    claims_index,
    passage_units,
)
from claims.matching.scoring import Bounds, score
from claims.matching.signals import pair_signals
from claims.models import CandidateState, Claim, ClaimRelation, MatchCandidate
from claims.services.claims import TASK_MATCH_CLAIM
from common.outbox import enqueue

__all__ = [
    "ENGINE_VERSION",
    "MATCH_BATCH",
    "TASK_REMATCH_PROJECT",
    "claim_link_rows",
    "claims_index",
    "match_article",
    "match_claim",
    "matching_rerun_project",
    "rematch_project",
]

logger = logging.getLogger(__name__)

TASK_REMATCH_PROJECT = "claims.rematch_project"


def match_claim(*, claim_id: int) -> int:
    """Propose where a claim is stated in the project's articles, and which claims it repeats.

    1. Re-fetch the claim (gone: log and stop); embed its statement and mention quotes.
    2. Retrieve passages near any wording (pgvector kNN + full-text), plus the passages of its
       pending candidates so they are re-scored rather than dropped.
    3. Leave out passages already marked as mentions of the claim.
    4. Score, keep the best per article, write (pending rows only), propose claim links.
    Returns the number of candidates written.
    """
    claim = Claim.objects.select_related("project").filter(pk=claim_id).first()
    if claim is None:
        logger.info("Claim %s no longer exists; nothing to match.", claim_id)
        return 0
    config = matching_config(claim.project.matching_settings)
    # The word counts are brought up to date first, in a transaction of their own: their
    # count lock is then not held while the claim is matched.
    project_context(claim.project_id, discover_aliases_in_text=config["discover_aliases"])
    # One transaction: a single commit for the embedding and every candidate written (each
    # commit waits for the disk), and a worker that dies half-way leaves nothing half-done.
    with transaction.atomic():
        return _match_claim(claim, config)


def _match_claim(claim: Claim, config: dict[str, Any]) -> int:
    claim.embedding = claim_embed(claim)
    context = project_context(claim.project_id, discover_aliases_in_text=config["discover_aliases"])
    query = claim_queries({claim.pk: claim.statement}, context)[claim.pk]
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
    fans out one `claims.match_claim` per claim, which covers every article.
    """
    with transaction.atomic():
        enqueue(TASK_REMATCH_PROJECT, project_id)


def rematch_project(*, project_id: int) -> int:
    """The body of the rematch task: index all claims, then queue matching for each."""
    claim_ids = list(Claim.objects.filter(project_id=project_id).values_list("pk", flat=True))
    claims_index(claim_ids)
    with transaction.atomic():
        for claim_id in claim_ids:
            enqueue(TASK_MATCH_CLAIM, claim_id)
    return len(claim_ids)
