"""Dates: year, month and day, any part of which may be missing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from claims.matching.normalizers.text import ENGLISH, _wordset

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = _wordset("monday tuesday wednesday thursday friday saturday sunday")


@dataclass(frozen=True)
class DateRef:
    year: int | None
    month: int | None
    day: int | None
    text: str

    def label(self) -> str:
        parts = [f"{self.year:04d}" if self.year else "????"]
        if self.month:
            parts.append(f"{self.month:02d}")
            if self.day:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_DATE_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), ("y", "m", "d")),
    (re.compile(rf"\b{_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?(?:,? (\d{{4}}))?\b"), ("M", "d", "y")),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?{_MONTH},? (\d{{4}})?\b"), ("d", "M", "y")),
    (re.compile(rf"\b{_MONTH},? (\d{{4}})\b"), ("M", "y")),
    (re.compile(rf"\b(?:in|since|until|by|from|during|early|late|mid-?|last|next|this) {_MONTH}\b"), ("M",)),
    (re.compile(r"\b(?:in|since|until|by|from|during|of|before|after|early|late|mid-?)\s+(1[89]\d{2}|20\d{2})\b"), ("y",)),
    (re.compile(r"\b(1[89]\d{2}|20\d{2})\b(?!\s*(?:%|percent|[a-z]{3,}s\b))"), ("y",)),
]  # fmt: skip
# The patterns without English words (month names, prepositions): ISO dates and bare years.
_NEUTRAL_PATTERNS = [_DATE_PATTERNS[0], _DATE_PATTERNS[-1]]


def extract_dates(
    folded: str, language: str = ENGLISH
) -> tuple[list[DateRef], list[tuple[int, int]]]:
    """Dates (year, month, day; any part may be missing) and the spans they cover. Month names
    are English: a text of another language gives its ISO dates and years only."""
    found: list[DateRef] = []
    spans: list[tuple[int, int]] = []
    for pattern, order in _DATE_PATTERNS if language == ENGLISH else _NEUTRAL_PATTERNS:
        for m in pattern.finditer(folded):
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue
            parts: dict[str, int | None] = {"y": None, "m": None, "d": None}
            for key, value in zip(order, m.groups(), strict=False):
                if value is None:
                    continue
                if key == "M":
                    parts["m"] = MONTHS[value.lower().rstrip(".")]
                else:
                    parts[key] = int(value)
            if parts["m"] == 5 and parts["d"] is None and parts["y"] is None:
                continue  # "may" is a verb far more often than a month
            found.append(DateRef(parts["y"], parts["m"], parts["d"], m.group()))
            spans.append((m.start(), m.end()))
    return found, spans


def dates_compatible(a: DateRef, b: DateRef) -> bool | None:
    """True if they agree on every part both give, False if one differs, None if no part shared."""
    shared = [(x, y) for x, y in ((a.year, b.year), (a.month, b.month), (a.day, b.day)) if x and y]
    if not shared:
        return None
    return all(x == y for x, y in shared)
