"""The review card's one line of reasons, in an editor's words, from a candidate's signals.

The matcher stores its evidence as MatchCandidate.signals (see claims/matching/signals.py):
numbers and dates as match / conflict / missing lists, actors as match / variant / missing /
conflict, lexical "shared" words and a quote overlap. A conflict or variant pair is
(claim side, passage side). Plain text only: the template escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# A quote overlap from this value on means the passage quotes the claim's words.
QUOTE_SAME = 0.8
# The line names this many shared words at most; the "why?" details show them all.
SHARED_WORDS_SHOWN = 4
QUANTITIES = {"numbers": "numbers", "dates": "dates"}


@dataclass(frozen=True)
class Reason:
    text: str
    negative: bool  # evidence against the match, shown in red


def _label(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_label(v) for v in value)
    return str(value)


def _pairs(values: Any) -> list[tuple[str, str]]:
    """(claim side, passage side) pairs; anything malformed is skipped, not raised."""
    pairs = []
    for value in values if isinstance(values, list | tuple) else []:
        if isinstance(value, list | tuple) and len(value) == 2:
            pairs.append((_label(value[0]), _label(value[1])))
    return pairs


def _plain(values: Any) -> list[str]:
    return [_label(v) for v in values if v not in (None, "")] if isinstance(values, list) else []


def _quantity_reasons(name: str, signal: Mapping[str, Any]) -> list[Reason]:
    reasons = [
        Reason(f"says {passage} where the claim says {claim}", True)
        for claim, passage in _pairs(signal.get("conflict"))
    ]
    if same := _plain(signal.get("match")):
        reasons.append(Reason(f"same {name}: {', '.join(same)}", False))
    if missing := _plain(signal.get("missing")):
        reasons.append(Reason(f"does not mention {', '.join(missing)}", True))
    return reasons


def _actor_reasons(signal: Mapping[str, Any]) -> list[Reason]:
    reasons = [
        Reason(f"names {others} instead of {claim}", True)
        for claim, others in _pairs(signal.get("conflict"))
    ]
    if same := _plain(signal.get("match")):
        reasons.append(Reason(f"names {', '.join(same)}", False))
    reasons += [
        Reason(f"names {claim} as {passage}", False)
        for claim, passage in _pairs(signal.get("variant"))
    ]
    conflicting = {claim for claim, _ in _pairs(signal.get("conflict"))}
    if missing := [m for m in _plain(signal.get("missing")) if m not in conflicting]:
        reasons.append(Reason(f"does not name {', '.join(missing)}", True))
    return reasons


def _shared_words(signal: Any) -> list[Reason]:
    words = _plain(signal.get("shared")) if isinstance(signal, Mapping) else []
    if not words:
        return []
    return [Reason(f"shared words: {', '.join(words[:SHARED_WORDS_SHOWN])}", False)]


def reasons(signals: Mapping[str, Any]) -> list[Reason]:
    """The reasons for and against a proposal, evidence against first (the reviewer should
    see why it may be wrong before why it may be right)."""
    found: list[Reason] = []
    for key, name in QUANTITIES.items():
        if isinstance(signal := signals.get(key), Mapping):
            found += _quantity_reasons(name, signal)
    if isinstance(signal := signals.get("actors"), Mapping):
        found += _actor_reasons(signal)
    quote = signals.get("quote")
    if isinstance(quote, int | float) and not isinstance(quote, bool) and quote >= QUOTE_SAME:
        found.append(Reason("quotes the same words", False))
    found += _shared_words(signals.get("lexical"))
    return sorted(found, key=lambda reason: not reason.negative)


def likelihood(score: float | None) -> str:
    """The score as an editor reads it: "73% likely"."""
    if score is None:
        return ""
    return f"{round(max(0.0, min(1.0, score)) * 100)}% likely"
