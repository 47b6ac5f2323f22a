"""The matching engine: where is this claim stated, and which claims does this article state.

Both directions score (claim wording, passage) pairs with the same function, so a pair gets the
same score whether the claim or the article came first. Entry points (called by claims.tasks
and by the evaluation command, in-process): match_claim, match_article, claims_index,
matching_rerun_project.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Case, Q, When
from django.utils import timezone

from annotations.models import Article, Passage, ProcessingState
from claims.matching import parallel, retrieval, writes
from claims.matching.config import matching_config
from claims.matching.context import ProjectContext, project_context
from claims.matching.queries import (
    ClaimQuery,
    PassageUnit,
    claim_embed,
    claim_queries,
    claims_index,
    passage_units,
)
from claims.matching.scorer import load_model
from claims.matching.scoring import Bounds, score
from claims.matching.signals import (
    DetailSignals,
    actors_signal,
    dates,
    found_counts,
    lexical_bound,
    numbers,
    pair_signals,
)
from claims.models import CandidateState, Claim, ClaimRelation, MatchCandidate
from claims.services.claims import TASK_MATCH_CLAIM
from common.outbox import enqueue

logger = logging.getLogger(__name__)

# Recorded on every candidate, with the scorer's version: bump when scoring changes so old
# proposals can be told apart.
ENGINE_VERSION = f"hybrid-4/{load_model()['version']}"
TASK_REMATCH_PROJECT = "claims.rematch_project"
# Full signals are computed for the wordings nearest to each passage unit only.
QUERIES_PER_UNIT = 2
# match_article: besides the passages that retrieved a claim, its nearest passages (by
# cosine) are scored too, so the best passage of the article is not missed.
PASSAGES_PER_CLAIM = 2
# ... and at most this many passages per claim in all (the nearest by cosine): a claim the
# article states has its passage among them; this bounds the work for thousands of claims.
MAX_PASSAGES_PER_CLAIM = 4
# match_article: the most articles one run matches (its own and others waiting): enough to
# share the per-run work on the project's claims, few enough that a bulk load's matching is
# still spread over the worker's processes.
MATCH_BATCH = 4
# Recall first: a claim's passages the plain embedding ranks this high in an article (and, for
# a new article, the claims it ranks this high there) are stored and ranked whatever their
# score; the threshold alone decides what the review queue proposes.
EMBEDDING_TOP = 5


@dataclass
class Scored:
    passage_id: int
    article_id: int
    start: int
    end: int
    score: float
    signals: dict[str, Any]
    # among the embedding's top ranks (EMBEDDING_TOP): stored whatever its score
    kept: bool = False
    # the whole passage's span, when the score is a clause's
    passage_span: tuple[int, int] | None = None


# --- scoring -----------------------------------------------------------------------------


def _score_passage(
    query: ClaimQuery,
    units: list[PassageUnit],
    context: ProjectContext,
    bounds: Bounds,
    floor: float,
    matrix: np.ndarray | None = None,
    keep: bool = False,
) -> Scored | None:
    """Best (wording, unit) pair for one passage: the whole passage and its clause nearest to
    the claim are scored against the claim wordings nearest to them. None when no pair can
    reach `floor` (the store floor): the embedding calls every unit unrelated to every wording
    (below `semantic_floor`: without meaning in common, shared words alone cannot make a
    match), or the pair's upper bound (scoring.Bounds: from the cosine and the word sets, then
    with the exact numbers and dates, then with the names) is below it. A pair whose bound is
    not above the best score found so far is skipped too: neither can change the result, and
    the wording's signals are the costly part. `matrix`: the cosines of the wordings (rows) and
    the units (columns), when the caller computed them for many claims at once. `keep`: the
    passage is among the embedding's top ranks, scored whatever its cosine and bounds."""
    if matrix is None:
        matrix = query.vectors @ np.stack([u.vector for u in units]).T
    # A few wordings by a few units: plain lists are quicker to walk than arrays this small.
    rows = matrix.tolist()
    by_unit = [max(column) for column in zip(*rows, strict=True)]
    if keep:
        floor = 0.0
    elif max(by_unit) < bounds.semantic_floor:
        return None
    chosen = [0]
    if len(by_unit) > 1:
        chosen.append(1 + max(range(len(by_unit) - 1), key=lambda u: by_unit[u + 1]))
    best: Scored | None = None
    vocab = context.vocab
    for ui in chosen:
        unit = units[ui]
        order = sorted(range(len(rows)), key=lambda q: -rows[q][ui])
        for qi in order[:QUERIES_PER_UNIT]:
            cosine = rows[qi][ui]
            profile, other = query.profiles[qi], unit.profile
            upper = lexical_bound(profile, other, vocab)
            evidence = bounds.wording(profile, upper, cosine)
            if _cannot_win(bounds.score(evidence + bounds.best_details(profile)), floor, best):
                continue
            counts = found_counts(profile, other)
            evidence += bounds.counted(counts[0]) + bounds.counted(counts[1])
            if _cannot_win(bounds.score(evidence + bounds.best_actors), floor, best):
                continue
            details = DetailSignals(
                numbers(profile, other),
                dates(profile, other),
                actors=actors_signal(profile, other, vocab),
            )
            if _cannot_win(bounds.score(evidence + bounds.actors(details.actors)), floor, best):
                continue
            signals = pair_signals(profile, other, cosine=cosine, vocab=vocab, details=details)
            value, parts = score(signals, bounds.weights)
            if best is None or value > best.score:
                detail = signals.as_dict()
                detail.update(
                    contributions=parts,
                    via=query.labels[qi],
                    span="passage" if ui == 0 else "clause",
                    evidence=_evidence(detail),
                )
                best = Scored(
                    unit.passage_id,
                    unit.article_id,
                    unit.start,
                    unit.end,
                    value,
                    detail,
                    keep,
                    (units[0].start, units[0].end) if ui else None,
                )
    return best


def _cannot_win(bound: float, floor: float, best: Scored | None) -> bool:
    return bound < floor or (best is not None and bound <= best.score)


def _evidence(detail: dict[str, Any]) -> dict[str, list[str]]:
    """Short human-readable reasons for and against, for the review screen."""
    pro: list[str] = []
    con: list[str] = []
    for kind in ("numbers", "dates"):
        pro += [f"same {kind[:-1]}: {m}" for m in detail[kind]["match"]]
        con += [f"different {kind[:-1]}: {a} vs {b}" for a, b in detail[kind]["conflict"]]
        con += [f"{kind[:-1]} not stated: {m}" for m in detail[kind]["missing"]]
    actors = detail["actors"]
    pro += [f"names {a}" for a in actors["match"]]
    pro += [f"names {a} as “{b}”" for a, b in actors["variant"]]
    con += [f"does not name {m}" for m in actors["missing"]]
    if actors["conflict"]:
        con.append(f"names instead: {', '.join(actors['conflict'][0][1][:3])}")
    if detail["quote"] >= 0.9:
        pro.append("quotes the same words")
    if detail["lexical"]["shared"]:
        pro.append("shares the words " + ", ".join(detail["lexical"]["shared"][:5]))
    return {"for": pro, "against": con}


def _select(scored: list[Scored], config: dict[str, Any]) -> list[Scored]:
    """Per article: the best passage keeps its score, the others lose the `redundancy` share
    (an article rarely states a claim twice); keep at most `store_per_article` above the
    store floor, and every one `kept` (the embedding's top ranks) whatever its score."""
    by_article: dict[int, list[Scored]] = defaultdict(list)
    for item in scored:
        by_article[item.article_id].append(item)
    redundancy = config["weights"]["redundancy"]
    kept: list[Scored] = []
    for items in by_article.values():
        items.sort(key=lambda s: -s.score)
        for rank, item in enumerate(items):
            item.signals["raw_score"] = round(item.score, 4)
            if rank:
                item.score *= 1 - redundancy
                item.signals["contributions"]["redundancy"] = -redundancy
        items.sort(key=lambda s: -s.score)
        best = items[: config["store_per_article"]]
        kept += [s for s in items if s.kept or (s in best and s.score >= config["store_floor"])]
    return kept


def _rows(claim_id: int, items: list[Scored], config: dict[str, Any]) -> list[writes.CandidateRow]:
    """The rows to write. A kept passage below the threshold is stored with its whole span,
    as the embedding ranked it: below the threshold the clause the scorer liked best is no
    surer a place than the rest of the sentence, and ranking the clause alone would lose a
    mention in another clause that the plain embedding keeps."""
    threshold = config["match_threshold"]
    for s in items:
        if s.kept and s.passage_span and s.score < threshold:
            s.start, s.end = s.passage_span
            s.signals["span"] = "passage"
    return [
        writes.CandidateRow(
            claim_id=claim_id,
            passage_id=s.passage_id,
            article_id=s.article_id,
            start=s.start,
            end=s.end,
            score=s.score,
            signals={
                **s.signals,
                "proposed": s.score >= threshold,
                "threshold": threshold,
                "embedding_top": s.kept,
            },
        )
        for s in items
    ]


# `embedding` is left out: `unit_vectors` holds it too, as bytes that load much faster.
_PASSAGE_FIELDS = ("id", "article_id", "start", "end", "text", "clause_bounds", "unit_vectors")


def _passages(**filters: Any) -> list[dict[str, Any]]:
    """Passages (with an embedding) as plain dicts, in text order."""
    rows = (
        Passage.objects.filter(**filters)
        .exclude(embedding=None)
        .order_by("article_id", "ordinal")
        .values(*_PASSAGE_FIELDS)
    )
    return [dict(row) for row in rows]


# --- entry points ------------------------------------------------------------------------


def match_claim(*, claim_id: int) -> int:
    """Propose where a claim is stated in the project's articles, and which claims it repeats.

    1. Re-fetch the claim (gone: log and stop); embed its statement and mention quotes.
    2. Retrieve passages near any wording (pgvector kNN + full-text), plus the passages of its
       pending candidates so they are re-scored rather than dropped.
    3. Leave out passages already marked as mentions of the claim.
    4. Score, keep the best per article, write (pending rows only), propose claim links.
    The claim links are read and scored beside steps 2-4 (parallel.py) when no transaction is
    open. Returns the number of candidates written.
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
    # The read beside it only reads: every write is in this transaction.
    with parallel.reads() as reads, transaction.atomic():
        return _match_claim(claim, config, reads)


def _match_claim(claim: Claim, config: dict[str, Any], reads: parallel.Reads) -> int:
    claim.embedding = claim_embed(claim)
    context = project_context(claim.project_id, discover_aliases_in_text=config["discover_aliases"])
    query = claim_queries({claim.pk: claim.statement}, context)[claim.pk]
    # The other claims it may repeat: their queries and scoring overlap the passages' below.
    links = reads.submit(claim_link_rows, claim=claim, query=query, context=context, config=config)
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
        for p in _passages(pk__in=list(dict.fromkeys(ids)))
        if not query.is_marked(p["article_id"], p["start"], p["end"])
    ]
    units = passage_units(passages, context)
    bounds = Bounds(config["weights"])
    keep = set(top)
    scored = [
        _score_passage(
            query, u, context, bounds, config["store_floor"], keep=u[0].passage_id in keep
        )
        for u in units
    ]
    rows = _rows(claim.pk, _select([s for s in scored if s is not None], config), config)
    written = writes.write_claim_passages(
        rows, project_id=claim.project_id, claim_id=claim.pk, version=ENGINE_VERSION
    )
    return written + writes.write_claim_links(
        links.result(), project_id=claim.project_id, claim_id=claim.pk, version=ENGINE_VERSION
    )


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
    # As in match_claim, the word counts first, on their own.
    project_context(article.project_id, discover_aliases_in_text=config["discover_aliases"])
    # One transaction, as in match_claim: one commit, and a worker that dies half-way leaves
    # the articles waiting (unmatched), for its redelivered task or the next one to take.
    with transaction.atomic():
        articles = _take_waiting(article)
        if not articles:
            return 0
        passages = _passages(article_id__in=articles)
        written = _match_articles(article.project_id, articles, passages, config)
        Article.objects.filter(pk__in=articles).update(matched_at=timezone.now())
    return written


def _take_waiting(article: Article) -> list[int]:
    """Lock and return the ids of the articles this run matches: `article` first (if it still
    waits), then up to MATCH_BATCH - 1 more of its project waiting for matching, oldest first.
    Rows another run holds are skipped (it is matching them); the lock (no key update) lets
    marks and candidates referencing the articles be written meanwhile."""
    waiting = Article.objects.filter(
        project_id=article.project_id,
        processing_state=ProcessingState.PROCESSED,
        matched_at=None,
    ).select_for_update(no_key=True, skip_locked=True)
    first = Case(When(pk=article.pk, then=0), default=1)
    return list(
        waiting.order_by(first, "processed_at", "pk").values_list("pk", flat=True)[:MATCH_BATCH]
    )


def _match_articles(
    project_id: int,
    articles: list[int],
    passages: list[dict[str, Any]],
    config: dict[str, Any],
) -> int:
    context = project_context(project_id, discover_aliases_in_text=config["discover_aliases"])
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
            _score_passage(
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
        found += _rows(
            query.claim_id, _select([s for s in scored if s is not None], config), config
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
            detail.update(contributions=parts, via="statement", evidence=_evidence(detail))
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
