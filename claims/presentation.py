"""What the review queue and the claim page show, computed in Python so templates stay dumb.

Nothing here returns markup: matched words come back as (text, matched) pieces that the
template wraps in <mark> with autoescaping on, so untrusted article text never becomes HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from unidecode import unidecode

from claims.models import Claim, ClaimKind, ClaimStatus

WORD = re.compile(r"\w+|\W+")
# Words too common to count as evidence that two passages say the same thing.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "said",
        "says",
        "she",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "were",
        "which",
        "who",
        "will",
        "with",
    ]
)
NUMBER_WORDS = {
    word: str(n)
    for n, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
# Signal names (or sub-keys) that speak against a match; shown in red on the review screen.
NEGATIVE_WORDS = frozenset(
    [
        "conflict",
        "conflicts",
        "contradiction",
        "mismatch",
        "mismatches",
        "negation",
        "negative",
        "penalty",
        "missing",
        "against",
    ]
)


def token_key(word: str, aliases: Mapping[str, str] | None = None) -> str:
    """A word's comparison form: ASCII lower case, alias resolved, number words as digits,
    a plural -s dropped (so "months" meets "month" and "seven" meets "7")."""
    key = unidecode(word).lower()
    if aliases:
        key = aliases.get(key, key)
    key = NUMBER_WORDS.get(key, key)
    if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key


def comparable_aliases(aliases: Mapping[str, str]) -> dict[str, str]:
    """The alias table in the form token_key compares (ASCII, lower case)."""
    return {unidecode(k).lower(): unidecode(v).lower() for k, v in aliases.items()}


def content_keys(texts: Iterable[str], aliases: Mapping[str, str] | None = None) -> set[str]:
    keys = set()
    for text in texts:
        for piece in WORD.findall(text):
            if piece[0].isalnum() or piece[0] == "_":
                key = token_key(piece, aliases)
                if key not in STOPWORDS:
                    keys.add(key)
    return keys


def mark_matches(
    text: str, reference: Iterable[str], aliases: Mapping[str, str] | None = None
) -> list[tuple[str, bool]]:
    """Cut `text` into pieces; a piece is marked when its word also occurs in `reference`."""
    wanted = content_keys(reference, aliases)
    pieces: list[tuple[str, bool]] = []
    for piece in WORD.findall(text):
        matched = piece[0].isalnum() and token_key(piece, aliases) in wanted
        if pieces and not matched and not pieces[-1][1]:
            pieces[-1] = (pieces[-1][0] + piece, False)
        else:
            pieces.append((piece, matched))
    return pieces


@dataclass(frozen=True)
class SignalRow:
    name: str
    value: str
    negative: bool


def _is_negative(name: str, value: Any) -> bool:
    words = set(re.split(r"[\W_]+", name.lower()))
    if isinstance(value, bool):
        return bool(words & NEGATIVE_WORDS) and value
    if isinstance(value, int | float):
        return value < 0 or (bool(words & NEGATIVE_WORDS) and value != 0)
    return bool(words & NEGATIVE_WORDS) and bool(value)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        # A pair inside a list is the matcher's (claim side, passage side): "7 months vs 3 months".
        return ", ".join(
            " vs ".join(map(_show, v)) if isinstance(v, list | tuple) else _show(v) for v in value
        )
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, list | tuple | dict | str) and not value)


def signal_rows(signals: Mapping[str, Any]) -> list[SignalRow]:
    """One row per signal (nested signals one level deep: "numbers conflict"), evidence
    against the match flagged so the reviewer sees it first."""
    rows = []
    for key, value in signals.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                if _empty(inner):
                    continue  # "numbers conflict: (none)" says nothing
                name = f"{key} {sub}".replace("_", " ")
                rows.append(SignalRow(name, _show(inner), _is_negative(f"{key} {sub}", inner)))
        else:
            rows.append(SignalRow(key.replace("_", " "), _show(value), _is_negative(key, value)))
    return rows


@dataclass(frozen=True)
class HistoryEntry:
    when: Any
    user: Any
    action: str
    changes: list[tuple[str, str, str]]  # (field label, old, new)


# Bookkeeping fields every write touches; the history shows what an editor changed.
HISTORY_IGNORED = ["version", "updated_at", "created_at"]
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _field_text(name: str, value: Any) -> str:
    if name == "status" and value in ClaimStatus.values:
        return str(ClaimStatus(value).label)
    if name == "kind" and value in ClaimKind.values:
        return str(ClaimKind(value).label)
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "–"
    return "–" if value in (None, "") else str(value)


def history_entries(records: list[Any]) -> list[HistoryEntry]:
    """Turn history records (newest first) into "who changed what" lines via diff_against."""
    entries = []
    for index, record in enumerate(records):
        older = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if record.history_type == "~" and older is not None:
            delta = record.diff_against(older, excluded_fields=HISTORY_IGNORED)
            for change in delta.changes:
                field = Claim._meta.get_field(change.field)
                label = str(getattr(field, "verbose_name", change.field))
                changes.append(
                    (
                        label,
                        _field_text(change.field, change.old),
                        _field_text(change.field, change.new),
                    )
                )
        entries.append(
            HistoryEntry(
                when=record.history_date,
                user=record.history_user,
                action=ACTIONS.get(record.history_type, record.history_type),
                changes=changes,
            )
        )
    return entries
