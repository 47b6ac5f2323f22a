"""Matching a new article: which of the project's tracked claims its passages state.

One run matches the article and others of its project waiting for matching (processed, not
matched since), up to MATCH_BATCH, so under a bulk load the work on the project's claims is
paid once for several articles. Pairs are scored by pair_scoring, as for a new claim.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from annotations.models import Article, ProcessingState
from annotations.services import holds
from claims.matching import retrieval, writes
from claims.matching.config import matching_config
from claims.matching.context import ProjectContext, project_context
from claims.matching.pair_scoring import (
    EMBEDDING_TOP,
    ENGINE_VERSION,
    candidate_rows,
    passage_rows,
    score_passage,
    select_per_article,
)
from claims.matching.queries import (
    ClaimQuery,
    PassageUnit,
    claim_queries,
    claims_index,
    passage_units,
)
from claims.matching.scoring import Bounds
from claims.models import CandidateState, Claim, MatchCandidate

logger = logging.getLogger(__name__)

# Besides the passages that retrieved a claim, its nearest passages (by cosine) are scored
# too, so the best passage of the article is not missed.
PASSAGES_PER_CLAIM = 2
# ... and at most this many passages per claim in all (the nearest by cosine): a claim the
# article states has its passage among them; this bounds the work for thousands of claims.
MAX_PASSAGES_PER_CLAIM = 4
# The most articles one run matches (its own and others waiting): enough to share the per-run
# work on the project's claims, few enough that a bulk load's matching is still spread over
# the worker's processes.
MATCH_BATCH = 4


def match_article(*, article_id: int) -> int:
    """Propose, for the claims the project tracks, the passages of this article that state them;
    and of other articles of its project waiting for matching, up to MATCH_BATCH in all.

    1. Re-fetch the article (gone: log and stop); embed any claim that has no embedding yet.
    2. Take the articles to match: this one first (unless a run took it already), then the
       project's other processed articles not matched since (oldest first), skipping any
       another run holds. Under a bulk load the
       queue holds many matching tasks: a run that takes several articles pays the work on the
       project's claims once (vocabulary, claim wordings and vectors, marks, the write), and
       the tasks of the articles it took find nothing left to do.
    3. Retrieve claims per passage (kNN over claims, full-text, and claims mentioned in
       similar passages of other articles), plus claims with pending candidates there.
    4. For each claim score the passages it was retrieved for and those nearest to it,
       keep the best, write (pending rows only); mark the articles matched. Returns the number
       of candidates written.
    """
    article = Article.objects.select_related("project").filter(pk=article_id).first()
    if article is None:
        logger.info("Article %s no longer exists; nothing to match.", article_id)
        return 0
    config = matching_config(article.project.matching_settings)
    missing = list(
        Claim.objects.filter(project_id=article.project_id, embedding=None).values_list(
            "pk", flat=True
        )
    )
    if missing:
        claims_index(missing)
    articles = _take_waiting(article)
    if not articles:
        return 0
    try:
        # As in match_claim, the word counts first (with the articles taken), in a transaction
        # of their own: a count step inside the candidates' transaction would hold the
        # project's count lock until its commit, and every other run's would wait behind it.
        context = project_context(
            article.project_id, discover_aliases_in_text=config["discover_aliases"]
        )
        # One transaction, as in match_claim: one commit. The articles are marked matched only
        # where this run still holds them (one given up for dead is another run's now).
        with transaction.atomic():
            passages = passage_rows(article_id__in=articles)
            written = _match_articles(article.project_id, articles, passages, context, config)
            holds.release(articles, matched_at=timezone.now())
    finally:
        holds.release(articles)  # after an error: back to waiting, for the task's retry
    return written


def _take_waiting(article: Article) -> list[int]:
    """Take the articles this run matches (holds.take): `article` first (if it still waits),
    then up to MATCH_BATCH - 1 more of its project waiting for matching, oldest first; those
    a live run holds are skipped (it is matching them)."""
    waiting = Article.objects.filter(
        project_id=article.project_id,
        processing_state=ProcessingState.PROCESSED,
        matched_at=None,
    ).order_by("processed_at", "pk")
    return holds.take(waiting, limit=MATCH_BATCH, first=article.pk)


def _match_articles(
    project_id: int,
    articles: list[int],
    passages: list[dict[str, Any]],
    context: ProjectContext,
    config: dict[str, Any],
) -> int:
    units = passage_units(passages, context)
    known = retrieval.project_claims(project_id)
    wanted = _claims_to_score(project_id, articles, passages, units, config, known)
    statements = _statements({pk for own in wanted.values() for pk in own}, known)
    queries = list(claim_queries(statements, context).values()) if statements else []
    found: list[writes.CandidateRow] = []
    for article_id, rows in _by_article(passages).items():
        found += _score_article(
            article_id,
            [passages[i] for i in rows],
            [units[i] for i in rows],
            wanted.get(article_id, {}),
            queries,
            context,
            config,
        )
    return writes.write_article_passages(
        found, project_id=project_id, article_ids=articles, version=ENGINE_VERSION
    )


def _by_article(passages: list[dict[str, Any]]) -> dict[int, list[int]]:
    """Article id -> the indexes of its passages in `passages` (in text order)."""
    grouped: dict[int, list[int]] = defaultdict(list)
    for i, passage in enumerate(passages):
        grouped[passage["article_id"]].append(i)
    return grouped


def _score_article(
    article_id: int,
    passages: list[dict[str, Any]],
    units: list[list[PassageUnit]],
    wanted: dict[int, set[int]],
    queries: list[ClaimQuery],
    context: ProjectContext,
    config: dict[str, Any],
) -> list[writes.CandidateRow]:
    """The candidates of one article (its passages in text order, and their units): every
    claim of `wanted` (claim id -> indexes of the passages that retrieved it) scored on those
    passages and on its nearest ones."""
    queries = [q for q in queries if q.claim_id in wanted]
    if not queries:
        return []
    # Every unit of the article in one matrix; a passage's units are columns starts[i]:ends[i]
    # (its whole text first, then its clauses).
    ends = np.cumsum([len(own) for own in units])
    starts = ends - [len(own) for own in units]
    unit_vectors = np.stack([u.vector for own in units for u in own])
    # The cosines of every claim wording with every unit, in one product; per claim, the best
    # wording's cosine with each passage as a whole and with any of its units.
    rows = np.cumsum([0] + [len(q.vectors) for q in queries])
    cosines = np.concatenate([q.vectors for q in queries]) @ unit_vectors.T
    whole = np.maximum.reduceat(cosines[:, starts], rows[:-1], axis=0)
    any_unit = np.maximum.reduceat(np.maximum.reduceat(cosines, rows[:-1], axis=0), starts, axis=1)
    nearest = np.argsort(-whole, axis=1, kind="stable")[:, :PASSAGES_PER_CLAIM]
    bounds = Bounds(config["weights"])
    found: list[writes.CandidateRow] = []
    # Python lists: the loop below reads single values, which numpy makes objects of.
    whole_rows, any_rows, nearest_rows = whole.tolist(), any_unit.tolist(), nearest.tolist()
    # The claims the embedding ranks highest in the article (by their nearest passage).
    top_claims = set(np.argsort(-whole.max(axis=1), kind="stable")[:EMBEDDING_TOP].tolist())
    for c, query in enumerate(queries):
        near = whole_rows[c]
        top = c in top_claims
        if not top and max(near) < bounds.semantic_floor:
            continue  # the embedding calls every passage unrelated: nothing to score
        ranked = sorted(wanted[query.claim_id] | set(nearest_rows[c]), key=lambda i: -near[i])
        scored = [
            score_passage(
                query,
                units[i],
                context,
                bounds,
                config["store_floor"],
                cosines[rows[c] : rows[c + 1], starts[i] : ends[i]],
                keep=top and n == 0,
            )
            for n, i in enumerate(ranked[:MAX_PASSAGES_PER_CLAIM])
            if ((top and n == 0) or any_rows[c][i] >= bounds.semantic_floor)
            and not query.is_marked(article_id, passages[i]["start"], passages[i]["end"])
        ]
        found += candidate_rows(
            query.claim_id, select_per_article([s for s in scored if s is not None], config), config
        )
    return found


def _statements(wanted: set[int], known: retrieval.ProjectClaims) -> dict[int, str]:
    """The statements of the claims to score, in id order: read with the claims' vectors, or
    (a claim that has none yet) from the database."""
    unknown = [pk for pk in wanted if pk not in known.statements]
    found = dict(Claim.objects.filter(pk__in=unknown).values_list("pk", "statement"))
    found.update((pk, known.statements[pk]) for pk in wanted if pk in known.statements)
    return {pk: found[pk] for pk in sorted(found)}


def _claims_to_score(
    project_id: int,
    articles: list[int],
    passages: list[dict[str, Any]],
    units: list[list[PassageUnit]],
    config: dict[str, Any],
    claims: retrieval.ProjectClaims,
) -> dict[int, dict[int, set[int]]]:
    """Article id -> claim id -> indexes (in the article's own passages, in text order) of
    the passages that retrieved the claim, plus the passages of its pending candidates there
    (re-scored rather than dropped). `units`: the passages' units, whose first is the whole
    passage as the matcher sees it (aliases resolved)."""
    index: dict[int, tuple[int, int]] = {}  # passage id -> (article, index in the article)
    for article_id, rows in _by_article(passages).items():
        index.update((passages[i]["id"], (article_id, n)) for n, i in enumerate(rows))
    retrieved = retrieval.claims_for_passages(
        project_id=project_id,
        vectors={p["id"]: own[0].vector for p, own in zip(passages, units, strict=True)},
        articles={p["id"]: p["article_id"] for p in passages},
        k=config["claims_per_passage"],
        claims=claims,
    )
    wanted: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    pending = MatchCandidate.objects.filter(
        article_id__in=articles, state=CandidateState.PENDING
    ).values_list("claim_id", "passage_id")
    for passage_id, claim_ids in [*retrieved.items(), *((p, [c]) for c, p in pending)]:
        if passage_id in index:
            article_id, i = index[passage_id]
            for claim_id in claim_ids:
                wanted[article_id][claim_id].add(i)
    return wanted
