"""Named actors, their variants and aliases.

Aliases come from the editable `Alias` table and from the articles themselves ("X, known as
Y"); misspellings and inflections are found by string similarity. No name is written here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

from claims.matching.normalizers.dates import MONTHS, WEEKDAYS
from claims.matching.normalizers.text import _WORD, ENGLISH, NEGATIONS, STOPWORDS, TITLES, fold

_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}")
_KNOWN_AS = re.compile(
    r"\b([A-Z][a-z]+(?: [A-Z][a-z]+)?),? (?:(?:also|better|formerly|now|locally|officially) )?"
    r"(?:known|called|spelled|spelt|named|referred to) (?:as )?([A-Z][a-z]+(?: [A-Z][a-z]+)?)"
)
_PAREN_ALIAS = re.compile(
    r"\b([A-Z][a-z]{2,}) \((?:(?:also|or|formerly|aka|a\.k\.a\.) )?([A-Z][a-z]{2,})\)"
)


# Languages that capitalise every noun: a capitalised word there is no sign of a name.
NOUNS_CAPITALISED = frozenset({"de", "lb"})


def actors(
    folded: str, *, common: frozenset[str] | set[str] = frozenset(), language: str = ENGLISH
) -> list[tuple[str, ...]]:
    """Named actors: runs of capitalised name tokens ("Anna Kowalski"), lowercased; none in a
    language that capitalises its nouns (NOUNS_CAPITALISED).

    A capitalised word is left out if it is a function word, a title, a month or weekday, or a
    word the project's texts also use in lower case (then it is an ordinary word that merely
    opens a sentence or a heading: "Western", "Analysts"). A title between names does not end
    the run: "Norvian Prime Minister Anna Kowalski" is one actor, ("norvian", "anna", "kowalski").
    """
    if language in NOUNS_CAPITALISED:
        return []
    text = _ACRONYM.sub(lambda m: m.group().replace(".", ""), folded)
    found: list[tuple[str, ...]] = []
    run: list[str] = []
    last_end = -2
    for m in _WORD.finditer(text):
        tok = m.group()
        low = tok.lower().removesuffix("'s").rstrip("'")
        adjacent = bool(run) and m.start() == last_end + 1 and text[last_end] == " "
        if adjacent and tok[0].isupper() and low in TITLES and not tok.endswith("'s"):
            # "Chinese President Xi Jinping" names one actor: a capitalised title between
            # names continues the run (it is not itself a token of the actor).
            last_end = m.end()
            continue
        is_name = (
            tok[0].isupper()
            and len(low) >= 2
            and low not in STOPWORDS
            and low not in NEGATIONS
            and low not in TITLES
            and low not in MONTHS
            and low not in WEEKDAYS
            and low not in common
        )
        if is_name and adjacent:
            run.append(low)
        elif is_name:
            if run:
                found.append(tuple(run))
            run = [low]
        last_end = m.end()
        if not is_name and run:
            found.append(tuple(run))
            run = []
        if tok.endswith("'s") and run:
            found.append(tuple(run))
            run = []
    if run:
        found.append(tuple(run))
    return found


def discover_aliases(folded: str) -> list[tuple[str, str]]:
    """Name pairs an article itself equates: "X, known as Y", "X (also Y)" (lowercased)."""
    pairs = [(a.lower(), b.lower()) for a, b in _KNOWN_AS.findall(folded)]
    pairs += [(a.lower(), b.lower()) for a, b in _PAREN_ALIAS.findall(folded)]
    return [(a, b) for a, b in pairs if a != b]


@dataclass
class AliasTable:
    """variant -> canonical (folded, lower case) from the Alias rows and discovered pairs."""

    canonical: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> AliasTable:
        table = cls()
        for canonical, variant in pairs:
            table.add(canonical, variant)
        return table

    def add(self, canonical: str, variant: str) -> None:
        c, v = fold(canonical).lower().strip(), fold(variant).lower().strip()
        if c and v and c != v:
            root = self.resolve(c)
            if self.resolve(v) != root:
                self.canonical[v] = root

    def resolve(self, name: str) -> str:
        seen: set[str] = set()
        while name in self.canonical and name not in seen:
            seen.add(name)
            name = self.canonical[name]
        return name

    def key(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.canonical.items()))

    def normalise(self, folded: str) -> str:
        """Replace every variant phrase in the text by its canonical form (whole words)."""
        if not self.canonical:
            return folded
        pattern = _alias_pattern(tuple(sorted(self.canonical, key=len, reverse=True)))
        return pattern.sub(lambda m: _titled(self.resolve(m.group().lower())), folded)


def _titled(name: str) -> str:
    return " ".join(part[:1].upper() + part[1:] for part in name.split())


@lru_cache(maxsize=64)
def _alias_pattern(variants: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(v) for v in variants)
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


# Jaro-Winkler at or above this is a spelling variant of a name ("Kowalsky" ~ "Kowalski");
# below it ("Mali"/"Malta" 0.85) names count as different.
NAME_VARIANT_SIMILARITY = 0.9


@lru_cache(maxsize=200_000)
def name_similarity(a: str, b: str) -> float:
    """1.0 same name; 0.8 a spelling or morphological variant; 0.0 different names.

    Variants: Jaro-Winkler >= NAME_VARIANT_SIMILARITY on names of 4+ letters, or a shared
    stem of 4+ letters covering 3/4 of the shorter name ("Canada"/"Canadian", "Peru"/"Peruvian").
    """
    if a == b:
        return 1.0
    if min(len(a), len(b)) < 4 or a[0] != b[0]:
        return 0.0
    if JaroWinkler.similarity(a, b) >= NAME_VARIANT_SIMILARITY:
        return 0.8
    prefix = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix += 1
    if prefix >= 4 and prefix >= 0.75 * min(len(a), len(b)):
        return 0.8
    return 0.0
