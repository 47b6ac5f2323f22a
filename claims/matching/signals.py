"""The evidence for and against "this passage states this claim", each signal with its proof.

A signal is computed between one wording of the claim (its statement, or the exact text of one
of its mentions) and one passage. Every signal keeps what it saw (shared terms, the numbers that
agree or differ, the names that match or not) so the review screen can say why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from claims.matching.normalizers import DateRef, Quantity, dates_compatible, name_similarity
from claims.matching.profiles import (
    TextProfile,
    Vocabulary,
    _plain,
    _term_weight,
    _title_stems,
    lexical_terms,
)

# The vocabulary and text profiles live in profiles.py; they are named here too, where the
# engine and the tests have always found them.
__all__ = ["TextProfile", "Vocabulary", "lexical_terms"]


def semantic(query_vector: Any, passage_vector: Any) -> float:
    """Cosine of unit vectors."""
    return float(sum(a * b for a, b in zip(query_vector, passage_vector, strict=True)))


def lexical(query: TextProfile, passage: TextProfile, vocab: Vocabulary) -> dict[str, Any]:
    """IDF-weighted overlap of content words; a misspelt name counts as a (weaker) match.

    query_coverage: share of the claim's word weight found in the passage (a name of several
    words weighs as one word);
    content_coverage: the same for the claim's words other than names and titles;
    passage_coverage: share of the passage's word weight that the claim accounts for.
    """
    passage_names = passage.name_terms(vocab)
    query_names = query.name_terms(vocab)
    matched: dict[str, float] = {}
    for term in query.terms:
        if term in passage.terms:
            matched[term] = 1.0
        elif term in query_names:
            # name_similarity is 0 for names that do not start alike: skip those calls
            best = max(
                (name_similarity(term, n) for n in passage_names if n[0] == term[0]),
                default=0.0,
            )
            if best:
                matched[term] = best
    q_weight = query.weight(vocab) or 1.0
    p_weight = passage.weight(vocab) or 1.0
    shared = sum(_term_weight(t, query_names, vocab) * m for t, m in matched.items())
    # The same words without the names and titles: what is said, not who is named (the
    # actors signal covers names); same people saying something else is the commonest near
    # miss in news.
    titles = _title_stems(query.language)
    content = [t for t in query.terms if t not in query_names and t not in titles]
    c_weight = sum(vocab.idf(t) for t in content)
    c_shared = sum(vocab.idf(t) * matched.get(t, 0.0) for t in content)
    top = [passage.surface.get(t, t) for t in sorted(matched, key=lambda t: -vocab.idf(t))[:8]]
    return {
        "query_coverage": round(min(1.0, shared / q_weight), 3),
        "passage_coverage": round(min(1.0, shared / p_weight), 3),
        "content_coverage": round(min(1.0, c_shared / c_weight), 3) if c_weight else 1.0,
        "shared": top,
    }


def lexical_bound(query: TextProfile, passage: TextProfile, vocab: Vocabulary) -> dict[str, float]:
    """Upper bounds of lexical()'s three coverages from the word sets alone: a name of the
    claim the passage does not contain as such is counted as fully matched when the passage
    names anyone (lexical() gives it at most a similarity of 1). No name similarity: cheap;
    half a unit of lexical()'s last rounded place is added, so it is never below what lexical()
    returns."""
    names_in_passage = bool(passage.name_terms(vocab))
    terms = passage.terms
    shared = c_shared = 0.0
    for term, weight, is_name, content_idf in query.bound_terms(vocab):
        found = term in terms
        if found or (names_in_passage and is_name):
            shared += weight
        if found:
            c_shared += content_idf
    c_weight = query.content_weight(vocab)
    up = 5e-4
    return {
        "query_coverage": min(1.0, shared / (query.weight(vocab) or 1.0) + up),
        "passage_coverage": min(1.0, shared / (passage.weight(vocab) or 1.0) + up),
        "content_coverage": min(1.0, c_shared / c_weight + up) if c_weight else 1.0,
    }


# A claim number's or date's verdict against a passage, by index: the keys of numbers() and
# dates() and the positions of found_counts()'s tuples.
_VERDICTS = ("match", "conflict", "missing")


def _quantity_verdicts(
    query: TextProfile, passage: TextProfile
) -> list[tuple[int, Quantity, Quantity | None]]:
    """Each number of the claim: found in the passage (0), contradicted by a different number
    of the same unit (1, with that rival), or absent (2; an absent ordinal is left out)."""
    found: list[tuple[int, Quantity, Quantity | None]] = []
    for q in query.quantities:
        if any(_same_quantity(q, p) for p in passage.quantities):
            found.append((0, q, None))
            continue
        rival = next(
            (
                p
                for p in passage.quantities
                if p.unit == q.unit and p.ordinal == q.ordinal and (q.unit or not p.unit)
            ),
            None,
        )
        if rival is not None:
            found.append((1, q, rival))
        elif not q.ordinal:
            found.append((2, q, None))
    return found


def _date_verdicts(
    query: TextProfile, passage: TextProfile
) -> list[tuple[int, DateRef, DateRef | None]]:
    """Each date of the claim: compatible with a passage date (0), contradicted by one (1,
    with it), or with no date that shares a part (2)."""
    found: list[tuple[int, DateRef, DateRef | None]] = []
    for q in query.dates:
        verdicts = [dates_compatible(q, p) for p in passage.dates]
        if True in verdicts:
            found.append((0, q, None))
        elif False in verdicts:
            found.append((1, q, passage.dates[verdicts.index(False)]))
        else:
            found.append((2, q, None))
    return found


def found_counts(query: TextProfile, passage: TextProfile) -> tuple[tuple[int, int, int], ...]:
    """How many of the claim's numbers, then of its dates, the passage states, contradicts or
    leaves out: numbers() and dates() counted, without their labels. The bound of most pairs
    is settled here, so it runs for many more pairs than the labelled lists."""
    counts = []
    for found in (_quantity_verdicts(query, passage), _date_verdicts(query, passage)):
        verdicts = [verdict for verdict, _, _ in found]
        counts.append((verdicts.count(0), verdicts.count(1), verdicts.count(2)))
    return tuple(counts)


def _labelled(found: list[tuple[int, Any, Any]]) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = {key: [] for key in _VERDICTS}
    for verdict, q, other in found:
        label = q.label()
        result[_VERDICTS[verdict]].append([label, other.label()] if other is not None else label)
    return result


def numbers(query: TextProfile, passage: TextProfile) -> dict[str, list[Any]]:
    """Each number of the claim: found in the passage (match), contradicted by a different
    number of the same unit (conflict), or absent (missing)."""
    return _labelled(_quantity_verdicts(query, passage))


def _same_quantity(q: Quantity, p: Quantity) -> bool:
    if not math.isclose(q.value, p.value, rel_tol=1e-6):
        return False
    return q.unit == p.unit or not q.unit or not p.unit


def dates(query: TextProfile, passage: TextProfile) -> dict[str, list[Any]]:
    return _labelled(_date_verdicts(query, passage))


def _actor_match(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Best token similarity between two actors ("anna kowalski" ~ "kowalski")."""
    return max((name_similarity(x, y) for x in a for y in b if x[0] == y[0]), default=0.0)


def actors_signal(
    query: TextProfile, passage: TextProfile, vocab: Vocabulary
) -> dict[str, list[Any]]:
    """Named actors of the claim found in the passage (exactly or as a variant), missing, and
    in conflict: the claim names someone the passage does not while the passage names someone
    the claim does not."""
    result: dict[str, list[Any]] = {"match": [], "variant": [], "missing": [], "conflict": []}
    used: set[tuple[str, ...]] = set()
    passage_actors = passage.actors(vocab)
    for actor in dict.fromkeys(query.actors(vocab)):
        scored = [(_actor_match(actor, p), p) for p in passage_actors]
        best, other = max(scored, default=(0.0, ()))
        label = " ".join(actor)
        if best >= 1.0:
            result["match"].append(label)
            used.add(other)
        elif best > 0:
            result["variant"].append([label, " ".join(other)])
            used.add(other)
        else:
            result["missing"].append(label)
    claim_actors = set(query.actors(vocab))
    extra = [
        " ".join(p)
        for p in dict.fromkeys(passage_actors)
        if p not in used and not any(_actor_match(p, q) for q in claim_actors)
    ]
    if result["missing"] and extra:
        result["conflict"] = [[m, extra] for m in result["missing"]]
    return result


def quote_overlap(query: TextProfile, passage: TextProfile) -> float:
    """How much of the claim's longest direct quotation appears verbatim in the passage."""
    if not query.quotes:
        return 0.0
    plain = _plain(passage.text)
    return max(fuzz.partial_ratio(q, plain) for q in query.quotes) / 100.0


@dataclass
class PairSignals:
    semantic: float
    lexical: dict[str, Any]
    numbers: dict[str, list[Any]]
    dates: dict[str, list[Any]]
    actors: dict[str, list[Any]]
    quote: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "semantic": round(self.semantic, 3),
            "lexical": self.lexical,
            "numbers": self.numbers,
            "dates": self.dates,
            "actors": self.actors,
            "quote": round(self.quote, 3),
        }


@dataclass(frozen=True)
class DetailSignals:
    """The signals that only count against or for a pair's details (numbers, dates, named
    actors): cheaper than the wording's, and where most near misses lose their score."""

    numbers: dict[str, list[Any]]
    dates: dict[str, list[Any]]
    actors: dict[str, list[Any]]


def detail_signals(query: TextProfile, passage: TextProfile, vocab: Vocabulary) -> DetailSignals:
    return DetailSignals(
        numbers=numbers(query, passage),
        dates=dates(query, passage),
        actors=actors_signal(query, passage, vocab),
    )


def pair_signals(
    query: TextProfile,
    passage: TextProfile,
    *,
    cosine: float,
    vocab: Vocabulary,
    details: DetailSignals | None = None,
) -> PairSignals:
    """Every signal of the pair (`details`: already computed, e.g. for scoring.score_bound)."""
    details = details or detail_signals(query, passage, vocab)
    return PairSignals(
        semantic=cosine,
        lexical=lexical(query, passage, vocab),
        numbers=details.numbers,
        dates=details.dates,
        actors=details.actors,
        quote=quote_overlap(query, passage),
    )
