"""Combine the signals of a (claim wording, passage) pair into one score in [0, 1].

score = sigmoid(steepness * (evidence - bias)), where evidence adds
  + semantic: the embedding cosine rescaled so that unrelated sentences of the same story
    (cosine ~ semantic_floor) give 0 and a paraphrase (~ semantic_ceiling) gives 1;
  + lexical: IDF-weighted coverage of the claim's words in the passage (all words, and the
    words other than names: the same people saying something else is the commonest near miss),
    and of the passage's words by the claim (a long sentence about something else scores lower);
  + agreement: the geometric mean of the two, so that meaning and wording must agree: the
    embedding alone over-rates short headlines and boilerplate that share a topic;
  + quote: a direct quotation of the claim found verbatim in the passage;
  - numbers, dates: a claim number/date the passage contradicts is strong evidence against,
    one the passage does not state at all is weaker evidence against (it is less specific);
  - actors: a named actor of the claim the passage does not name, worse if the passage names
    someone else instead.
Every term's contribution is returned so the review screen can show it.
"""

from __future__ import annotations

import math
from typing import Any

from claims.matching.signals import DetailSignals, PairSignals, TextProfile


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


def _share(items: list[Any], total: int) -> float:
    return len(items) / total if total else 0.0


# The features a fitted scorer weighs (claims/matching/scorer.py): each in [0, 1], named after
# the weight that multiplies it. The `*_conflict`, `*_missing` ones count against a pair.
FEATURES = (
    "semantic",
    "lexical",
    "agreement",
    "quote",
    "detail_match",
    "detail_conflict",
    "detail_missing",
    "actor_missing",
    "actor_conflict",
)
# Features whose weight is subtracted (evidence against).
AGAINST = frozenset({"detail_conflict", "detail_missing", "actor_missing", "actor_conflict"})


def _found_features(found: dict[str, list[Any]]) -> tuple[float, float, float]:
    match, conflict, missing = len(found["match"]), len(found["conflict"]), len(found["missing"])
    total = match + conflict + missing
    return (match / total if total else 0.0, min(1, conflict), missing / total if total else 0.0)


def _actor_features(act: dict[str, list[Any]]) -> tuple[float, float]:
    # Each actor of the claim the passage does not name is one more piece of evidence against
    # (up to three); naming someone else instead counts by the share of the claim's actors.
    total = len(act["match"]) + len(act["variant"]) + len(act["missing"])
    return min(1.0, len(act["missing"]) / 3), _share(act["conflict"], total)


def features(signals: PairSignals | DetailSignals, w: dict[str, float]) -> dict[str, float]:
    """The pair's features (FEATURES). `w` gives the fixed shape parameters (semantic floor
    and ceiling, how the word coverages mix), not the weights. Detail-only signals give the
    detail features alone."""
    out: dict[str, float] = {}
    if isinstance(signals, PairSignals):
        sem = _clip(
            (signals.semantic - w["semantic_floor"]) / (w["semantic_ceiling"] - w["semantic_floor"])
        )
        lex = signals.lexical
        content = w["content_share"]
        query_side = (1 - content) * lex["query_coverage"] + content * lex["content_coverage"]
        share = w["passage_coverage_share"]
        lexical = (1 - share) * query_side + share * lex["passage_coverage"]
        out.update(
            semantic=sem,
            lexical=lexical,
            # Meaning and wording must agree: a paraphrase shares some words, a sentence
            # that shares words by chance does not mean the same.
            agreement=math.sqrt(sem * lexical),
            quote=_clip((signals.quote - 0.8) / 0.2),
        )
    numbers, dates = _found_features(signals.numbers), _found_features(signals.dates)
    out.update(
        detail_match=numbers[0] + dates[0],
        detail_conflict=numbers[1] + dates[1],
        detail_missing=numbers[2] + dates[2],
    )
    out["actor_missing"], out["actor_conflict"] = _actor_features(signals.actors)
    return out


def contributions(signals: PairSignals, weights: dict[str, float]) -> dict[str, float]:
    """Each signal's signed contribution to the evidence (before the sigmoid), grouped as the
    review screen shows them: semantic, lexical, agreement, quote, numbers, dates, actors."""
    w = weights
    f = features(signals, w)
    out = {name: w[name] * f[name] for name in ("semantic", "lexical", "agreement", "quote")}
    out.update(_detail_contributions(signals, w))
    return out


def _detail_contributions(
    signals: PairSignals | DetailSignals, w: dict[str, float]
) -> dict[str, float]:
    out = {name: _found_contribution(getattr(signals, name), w) for name in ("numbers", "dates")}
    out["actors"] = _actor_contribution(signals.actors, w)
    return out


def _found_contribution(found: dict[str, list[Any]], w: dict[str, float]) -> float:
    """A claim's numbers (or dates) the passage states, contradicts or leaves out."""
    return _counted_contribution(
        len(found["match"]), len(found["conflict"]), len(found["missing"]), w
    )


def _counted_contribution(match: int, conflict: int, missing: int, w: dict[str, float]) -> float:
    total = match + conflict + missing
    return (
        w["detail_match"] * (match / total if total else 0.0)
        - w["detail_conflict"] * min(1, conflict)
        - w["detail_missing"] * (missing / total if total else 0.0)
    )


def _actor_contribution(act: dict[str, list[Any]], w: dict[str, float]) -> float:
    missing, conflict = _actor_features(act)
    return -w["actor_missing"] * missing - w["actor_conflict"] * conflict


def score(signals: PairSignals, weights: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The score from the exact contributions (rounding them first would make near scores
    tie and leave their order to chance), and the contributions rounded for display."""
    parts = contributions(signals, weights)
    evidence = sum(parts.values())
    value = 1.0 / (1.0 + math.exp(-weights["steepness"] * (evidence - weights["bias"])))
    return value, {k: round(v, 4) for k, v in parts.items()}


def _boundable(w: dict[str, float]) -> bool:
    """The bound holds where every term grows with the coverages and the cosine: true of the
    defaults; a project's own settings may break it, and then every pair is scored."""
    positive = all(w[name] >= 0 for name in ("semantic", "lexical", "agreement", "quote"))
    shares = all(0 <= w[name] <= 1 for name in ("content_share", "passage_coverage_share"))
    return (
        positive and shares and w["steepness"] >= 0 and w["semantic_ceiling"] > w["semantic_floor"]
    )


class Bounds:
    """Upper bounds of score() for a pair, in stages: the evidence of the cosine and the word
    sets (lexical_bound()) with the quote taken as found, plus each detail (numbers, dates,
    named actors) at its best until it is known exactly. A pair whose bound is below what is
    needed (the store floor, or a better pair already scored) cannot change the result, and
    is not scored: the engine bounds a pair without details first, then with its numbers and
    dates (cheap, and where most near misses lose), then with its actors too, before the
    wording's full signals. The weights' constants are read once: matching one article bounds
    thousands of pairs."""

    def __init__(self, weights: dict[str, float]) -> None:
        w = self.weights = weights
        self.enabled = _boundable(w)
        self.semantic_floor = w["semantic_floor"]
        self._span = w["semantic_ceiling"] - w["semantic_floor"]
        self._semantic, self._lexical, self._agreement = w["semantic"], w["lexical"], w["agreement"]
        self._query = (1 - w["content_share"]) * (1 - w["passage_coverage_share"])
        self._content = w["content_share"] * (1 - w["passage_coverage_share"])
        self._passage = w["passage_coverage_share"]
        self._steepness, self._bias = w["steepness"], w["bias"]
        # The signed detail terms at their best: a positive weight earned, a negative one's
        # penalty turned into a gain.
        self._best_found = (
            max(0.0, w["detail_match"])
            + max(0.0, -w["detail_conflict"])
            + max(0.0, -w["detail_missing"])
        )
        self.best_actors = max(0.0, -w["actor_missing"]) + max(0.0, -w["actor_conflict"])

    def wording(self, query: TextProfile, lexical: dict[str, float], cosine: float) -> float:
        """The evidence of the cosine and the coverages (at most lexical_bound()'s), with the
        claim's quote, if it has one, taken as found."""
        sem = _clip((cosine - self.semantic_floor) / self._span)
        lex = (
            self._query * lexical["query_coverage"]
            + self._content * lexical["content_coverage"]
            + self._passage * lexical["passage_coverage"]
        )
        evidence = (
            self._semantic * sem + self._lexical * lex + self._agreement * math.sqrt(sem * lex)
        )
        return evidence + (self.weights["quote"] if query.quotes else 0.0)

    def best_details(self, query: TextProfile) -> float:
        """The most the claim's numbers, dates and actors can add."""
        return self._best_found * (bool(query.quantities) + bool(query.dates)) + self.best_actors

    def found(self, found: dict[str, list[Any]]) -> float:
        """What the claim's numbers (or dates) found, contradicted or missing add."""
        return _found_contribution(found, self.weights)

    def counted(self, counts: tuple[int, int, int]) -> float:
        """found() from the counts of signals.found_counts(): the same value."""
        return _counted_contribution(*counts, self.weights)

    def actors(self, actors: dict[str, list[Any]]) -> float:
        return _actor_contribution(actors, self.weights)

    def score(self, evidence: float) -> float:
        """The score of that evidence (1.0: the weights allow no bound)."""
        if not self.enabled:
            return 1.0
        return 1.0 / (1.0 + math.exp(-self._steepness * (evidence - self._bias)))


def score_bound(
    query: TextProfile,
    lexical: dict[str, float],
    cosine: float,
    weights: dict[str, float],
    details: DetailSignals | None = None,
) -> float:
    """The bound of a pair without its details or with all of them (`details`)."""
    bounds = Bounds(weights)
    evidence = bounds.wording(query, lexical, cosine)
    if details is None:
        return bounds.score(evidence + bounds.best_details(query))
    found = bounds.found(details.numbers) + bounds.found(details.dates)
    return bounds.score(evidence + found + bounds.actors(details.actors))
