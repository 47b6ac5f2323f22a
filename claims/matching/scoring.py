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


def contributions(signals: PairSignals, weights: dict[str, float]) -> dict[str, float]:
    """Each signal's signed contribution to the evidence (before the sigmoid)."""
    w = weights
    sem = _clip(
        (signals.semantic - w["semantic_floor"]) / (w["semantic_ceiling"] - w["semantic_floor"])
    )
    lex = signals.lexical
    content = w["content_share"]
    query_side = (1 - content) * lex["query_coverage"] + content * lex["content_coverage"]
    share = w["passage_coverage_share"]
    lexical = (1 - share) * query_side + share * lex["passage_coverage"]
    out = {
        "semantic": w["semantic"] * sem,
        "lexical": w["lexical"] * lexical,
        # Meaning and wording must agree: a paraphrase shares some words, a sentence that
        # shares words by chance does not mean the same.
        "agreement": w["agreement"] * math.sqrt(sem * lexical),
        "quote": w["quote"] * _clip((signals.quote - 0.8) / 0.2),
    }
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
    total = len(found["match"]) + len(found["conflict"]) + len(found["missing"])
    return (
        w["detail_match"] * _share(found["match"], total)
        - w["detail_conflict"] * min(1, len(found["conflict"]))
        - w["detail_missing"] * _share(found["missing"], total)
    )


def _actor_contribution(act: dict[str, list[Any]], w: dict[str, float]) -> float:
    total = len(act["match"]) + len(act["variant"]) + len(act["missing"])
    # Each actor of the claim the passage does not name is one more piece of evidence against
    # (up to three); naming someone else instead weighs by the share of the claim's actors.
    return -w["actor_missing"] * min(1.0, len(act["missing"]) / 3) - w["actor_conflict"] * _share(
        act["conflict"], total
    )


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
    """Upper bounds of score() for a pair, from its cosine and lexical_bound(): the quote taken
    as found, and each detail (numbers, dates, named actors) at its best unless given exactly.
    A pair whose bound is below what is needed (the store floor, or a better pair already
    scored) cannot change the result, and is not scored: the engine tries the bound without
    details first, then with the numbers and dates (cheap, and where most near misses lose),
    then with the actors too, before the wording's full signals. The weights' constants are
    computed once: an article's matching bounds thousands of pairs."""

    def __init__(self, weights: dict[str, float]) -> None:
        w = self.weights = weights
        self.enabled = _boundable(w)
        self.semantic_floor = w["semantic_floor"]
        self.span = w["semantic_ceiling"] - w["semantic_floor"]
        # The signed detail terms at their best: a positive weight earned, a negative one's
        # penalty turned into a gain.
        self.best_found = (
            max(0.0, w["detail_match"])
            + max(0.0, -w["detail_conflict"])
            + max(0.0, -w["detail_missing"])
        )
        self.best_actors = max(0.0, -w["actor_missing"]) + max(0.0, -w["actor_conflict"])

    def upper(
        self,
        query: TextProfile,
        lexical: dict[str, float],
        cosine: float,
        *,
        numbers: dict[str, list[Any]] | None = None,
        dates: dict[str, list[Any]] | None = None,
        actors: dict[str, list[Any]] | None = None,
    ) -> float:
        """The bound with the details given taken exactly and the others at their best."""
        if not self.enabled:
            return 1.0
        w = self.weights
        sem = _clip((cosine - self.semantic_floor) / self.span)
        content = w["content_share"]
        query_side = (1 - content) * lexical["query_coverage"] + content * lexical[
            "content_coverage"
        ]
        share = w["passage_coverage_share"]
        lex = (1 - share) * query_side + share * lexical["passage_coverage"]
        evidence = w["semantic"] * sem + w["lexical"] * lex + w["agreement"] * math.sqrt(sem * lex)
        evidence += w["quote"] if query.quotes else 0.0
        for found, any_in_claim in ((numbers, query.quantities), (dates, query.dates)):
            if found is not None:
                evidence += _found_contribution(found, w)
            elif any_in_claim:
                evidence += self.best_found
        evidence += self.best_actors if actors is None else _actor_contribution(actors, w)
        return 1.0 / (1.0 + math.exp(-w["steepness"] * (evidence - w["bias"])))


def score_bound(
    query: TextProfile,
    lexical: dict[str, float],
    cosine: float,
    weights: dict[str, float],
    details: DetailSignals | None = None,
) -> float:
    """Bounds(weights).upper() without details or with all of them (`details`)."""
    if details is None:
        return Bounds(weights).upper(query, lexical, cosine)
    return Bounds(weights).upper(
        query,
        lexical,
        cosine,
        numbers=details.numbers,
        dates=details.dates,
        actors=details.actors,
    )
