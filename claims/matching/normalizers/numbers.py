"""Numbers and durations written in digits or words, with the unit that follows them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from claims.matching.normalizers.text import ENGLISH, STOPWORDS, _wordset

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
          "trillion": 1_000_000_000_000}  # fmt: skip
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "twentieth": 20, "hundredth": 100,
}  # fmt: skip
# Units of measure and time: "one" counts as a number only before one of these.
MEASURES = _wordset(
    """second minute hour day week month year decade century percent km kilometer kilometre
    mile meter metre kg kilogram ton tonne dollar euro pound usd eur gbp"""
)


@dataclass(frozen=True)
class Quantity:
    """A number with the unit that follows it ("seven-month" -> 7 month)."""

    value: float
    unit: str  # "" when nothing unit-like follows
    text: str
    ordinal: bool = False

    def label(self) -> str:
        value = int(self.value) if float(self.value).is_integer() else self.value
        prefix = "#" if self.ordinal else ""
        return f"{prefix}{value} {self.unit}".strip()


_NUM_TOKEN = re.compile(r"\$|%|\d+(?:,\d{3})*(?:\.\d+)?(?:st|nd|rd|th)?|[A-Za-z]+")
_UNIT_SKIP = frozenset({"long", "old", "strong", "and", "or", "of", "to", "more", "than"})


def _unit(tokens: list[str], i: int) -> str:
    """Singular unit word at tokens[i] ('months' -> 'month', '%' -> 'percent')."""
    if i >= len(tokens):
        return ""
    tok = tokens[i].lower()
    if tok in {"%", "percent", "pct"} or (tok == "per" and tokens[i + 1 : i + 2] == ["cent"]):
        return "percent"
    if not tok.isalpha() or tok in STOPWORDS or tok in _UNIT_SKIP:
        return ""
    if tok.endswith("ies") and len(tok) > 4:
        return tok[:-3] + "y"
    if tok.endswith("s") and not tok.endswith("ss") and len(tok) > 3:
        return tok[:-1]
    return tok


def _word_number(tokens: list[str], i: int) -> tuple[float, int] | None:
    """Parse 'two hundred and fifty' / 'twenty-five' starting at i: (value, tokens used)."""
    total, current, j, seen = 0.0, 0.0, i, False
    while j < len(tokens):
        tok = tokens[j].lower()
        if tok in UNITS:
            current += UNITS[tok]
        elif tok in TENS:
            current += TENS[tok]
        elif tok in SCALES and seen:
            if SCALES[tok] == 100:
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * SCALES[tok]
                current = 0
        elif (
            tok == "and" and seen and j + 1 < len(tokens) and tokens[j + 1].lower() in UNITS | TENS
        ):
            j += 1
            continue
        else:
            break
        seen = True
        j += 1
    return (total + current, j - i) if seen else None


def extract_quantities(
    folded: str, *, skip: Iterable[tuple[int, int]] = (), language: str = ENGLISH
) -> list[Quantity]:
    """Numbers written in digits or words, with the unit after them; date spans are skipped.
    Number words are English: in a text of another language only digits count."""
    spans = list(skip)
    english = language == ENGLISH
    matches = list(_NUM_TOKEN.finditer(folded))
    if spans:  # most texts have no date: no per-token test then
        matches = [m for m in matches if not any(a <= m.start() < b for a, b in spans)]
    tokens = [m.group() for m in matches]
    found: list[Quantity] = []
    i = 0
    while i < len(tokens):
        tok, low = tokens[i], tokens[i].lower()
        currency = tok == "$"
        if currency:
            i += 1
            if i >= len(tokens):
                break
            tok, low = tokens[i], tokens[i].lower()
        value: float | None = None
        used, ordinal = 1, False
        if tok[0].isdigit():
            digits = re.sub(r"(st|nd|rd|th)$", "", tok)
            ordinal = digits != tok
            value = float(digits.replace(",", ""))
            if i + 1 < len(tokens) and tokens[i + 1].lower() in SCALES:
                value *= SCALES[tokens[i + 1].lower()]
                used = 2
        elif english and low in ORDINALS:
            value, ordinal = float(ORDINALS[low]), True
        elif english and (low in UNITS or low in TENS):
            parsed = _word_number(tokens, i)
            if parsed:
                value, used = parsed
        if value is None:
            i += 1
            continue
        unit = "usd" if currency else _unit(tokens, i + used)
        start = matches[i - (1 if currency else 0)].start()
        end = matches[min(i + used, len(matches) - 1)].end()
        is_weak_one = value == 1 and not tok[0].isdigit() and unit not in MEASURES
        if not is_weak_one and not (ordinal and low == "first" and unit not in MEASURES):
            found.append(Quantity(value, unit, folded[start:end], ordinal))
        i += used
    return found
