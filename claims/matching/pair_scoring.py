"""Scoring one claim against one passage: the best (wording, unit) pair, the candidates kept
per article, and the rows to write. Both directions of matching (engine.match_claim and
article_matching.match_article) score pairs here, so a pair gets the same score whether the
claim or the article came first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotations.models import Passage
from claims.matching import writes
from claims.matching.context import ProjectContext
from claims.matching.queries import ClaimQuery, PassageUnit
from claims.matching.scorer import load_model
from claims.matching.scoring import Bounds, score
from claims.matching.signals import (
    DetailSignals,
    PairSignals,
    TextProfile,
    Vocabulary,
    actors_signal,
    dates,
    found_counts,
    lexical_bound,
    numbers,
    pair_signals,
)

# Recorded on every candidate, with the scorer's version: bump when scoring changes so old
# proposals can be told apart.
ENGINE_VERSION = f"hybrid-4/{load_model()['version']}"
# Full signals are computed for the wordings nearest to each passage unit only.
QUERIES_PER_UNIT = 2
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


def score_passage(
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
    match), or the pair's upper bound (`_signals_if_winning`) is below it. A pair whose bound
    is not above the best score found so far is skipped too: neither can change the result,
    and the wording's signals are the costly part. `matrix`: the cosines of the wordings (rows)
    and the units (columns), when the caller computed them for many claims at once. `keep`:
    the passage is among the embedding's top ranks, scored whatever its cosine and bounds."""
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
    for ui in chosen:
        order = sorted(range(len(rows)), key=lambda q: -rows[q][ui])
        for qi in order[:QUERIES_PER_UNIT]:
            profile, other = query.profiles[qi], units[ui].profile
            signals = _signals_if_winning(
                profile, other, rows[qi][ui], context.vocab, bounds, floor, best
            )
            if signals is None:
                continue
            value, parts = score(signals, bounds.weights)
            if best is None or value > best.score:
                best = _scored(query, qi, units, ui, value, signals, parts, keep)
    return best


def _scored(
    query: ClaimQuery,
    qi: int,
    units: list[PassageUnit],
    ui: int,
    value: float,
    signals: PairSignals,
    parts: dict[str, float],
    keep: bool,
) -> Scored:
    """Wording `qi` of the claim scored on unit `ui` of the passage (0: the whole passage)."""
    detail = signals.as_dict()
    detail.update(
        contributions=parts,
        via=query.labels[qi],
        span="passage" if ui == 0 else "clause",
        evidence=evidence(detail),
    )
    unit = units[ui]
    whole = (units[0].start, units[0].end) if ui else None
    return Scored(
        unit.passage_id, unit.article_id, unit.start, unit.end, value, detail, keep, whole
    )


def _signals_if_winning(
    profile: TextProfile,
    other: TextProfile,
    cosine: float,
    vocab: Vocabulary,
    bounds: Bounds,
    floor: float,
    best: Scored | None,
) -> PairSignals | None:
    """The pair's full signals, or None when an upper bound of its score (scoring.Bounds: from
    the cosine and the word sets, then with the exact numbers and dates, then with the names)
    shows it cannot reach `floor` nor beat `best`."""
    upper = lexical_bound(profile, other, vocab)
    found = bounds.wording(profile, upper, cosine)
    if _cannot_win(bounds.score(found + bounds.best_details(profile)), floor, best):
        return None
    counts = found_counts(profile, other)
    found += bounds.counted(counts[0]) + bounds.counted(counts[1])
    if _cannot_win(bounds.score(found + bounds.best_actors), floor, best):
        return None
    details = DetailSignals(
        numbers(profile, other),
        dates(profile, other),
        actors=actors_signal(profile, other, vocab),
    )
    if _cannot_win(bounds.score(found + bounds.actors(details.actors)), floor, best):
        return None
    return pair_signals(profile, other, cosine=cosine, vocab=vocab, details=details)


def _cannot_win(bound: float, floor: float, best: Scored | None) -> bool:
    return bound < floor or (best is not None and bound <= best.score)


def evidence(detail: dict[str, Any]) -> dict[str, list[str]]:
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


def select_per_article(scored: list[Scored], config: dict[str, Any]) -> list[Scored]:
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


def candidate_rows(
    claim_id: int, items: list[Scored], config: dict[str, Any]
) -> list[writes.CandidateRow]:
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


def passage_rows(**filters: Any) -> list[dict[str, Any]]:
    """Passages (with an embedding) as plain dicts, in text order."""
    rows = (
        Passage.objects.filter(**filters)
        .exclude(embedding=None)
        .order_by("article_id", "ordinal")
        .values(*_PASSAGE_FIELDS)
    )
    return [dict(row) for row in rows]
