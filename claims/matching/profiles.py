"""What the signals read from texts: a project's vocabulary (IDF weights, lower-case words,
aliases) and a text's profile (its terms, names, numbers, dates and quotes, each computed once).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from claims.matching.normalizers import (
    ENGLISH,
    NEGATIONS,
    SCALES,
    TENS,
    TITLES,
    UNITS,
    AliasTable,
    DateRef,
    Quantity,
    actors,
    extract_dates,
    extract_quantities,
    fold,
    function_words,
    quotes,
    stem,
    words,
)


@dataclass
class Vocabulary:
    """What the project's passages tell about words: document frequencies for IDF weights,
    and which words also occur in lower case (so a capitalised one is not a name)."""

    df: Counter[str] = field(default_factory=Counter)
    n_docs: int = 0
    lower_words: set[str] = field(default_factory=set)
    aliases: AliasTable = field(default_factory=AliasTable)
    # The project's main language (ISO 639-1): texts of no known article, such as a claim's
    # statement with no mention yet, are profiled in it.
    language: str = ENGLISH

    # Bumped on every change; caches of profiles built with this vocabulary compare it.
    version: int = 0
    _idf: dict[str, float] = field(default_factory=dict, repr=False)

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            value = math.log((self.n_docs + 1) / (self.df.get(term, 0) + 1)) + 1.0
            self._idf[term] = value
        return value

    def add_document(self, text: str, *, sign: int = 1) -> None:
        """Count a passage of the vocabulary's language (sign=-1: uncount it; its lower-case
        words stay known)."""
        folded = fold(text)
        for term in set(lexical_terms(folded, self.aliases, self.language)):
            self.df[term] += sign
        if sign > 0:
            self.lower_words.update(w.lower() for w in words(folded) if w.islower())
        self.n_docs += sign
        self.changed()

    def changed(self) -> None:
        self._idf.clear()
        self.version += 1


def lexical_terms(folded: str, aliases: AliasTable, language: str = ENGLISH) -> list[str]:
    """Stemmed content words; number words become digits so "seven" == "7". In a language
    other than English: every word, lower-cased (the lists and stemmer are English)."""
    english = language == ENGLISH
    skipped = function_words(language)
    terms: list[str] = []
    for word in words(aliases.normalise(folded)):
        low = word.lower()
        if english and low in UNITS:
            terms.append(str(UNITS[low]))
        elif english and low in TENS:
            terms.append(str(TENS[low]))
        elif (english and low in SCALES) or (low in skipped and low not in NEGATIONS):
            continue
        else:
            terms.append(stem(low, language))
    return terms


@dataclass
class TextProfile:
    """Everything the signals need from one text, computed once. Words and capitalised runs
    are read at once (the cheap bound of `lexical_bound` needs them); numbers, dates, quotes
    and surface forms on first use, since most texts retrieved are never fully compared."""

    text: str
    terms: Counter[str]
    # Capitalised runs; which of their words are names depends on the project's vocabulary
    # (words it also uses in lower case are not), so that filter is applied when comparing,
    # and a profile stays valid while articles are added.
    capitalised: list[tuple[str, ...]]
    _names: tuple[int, list[tuple[str, ...]], dict[str, int]] | None = field(
        default=None, repr=False
    )
    _weight: tuple[int, float] | None = field(default=None, repr=False)
    _bound: tuple[int, list[tuple[str, float, bool, float]], float] | None = field(
        default=None, repr=False
    )
    # ISO 639-1: which normalisers apply (number words, months, stemmer: English only).
    language: str = ENGLISH

    @classmethod
    def build(cls, text: str, vocab: Vocabulary, language: str = ENGLISH) -> TextProfile:
        """Profile of `text` in `language` with the vocabulary's aliases applied."""
        folded = vocab.aliases.normalise(fold(text))
        return cls(
            text=folded,
            terms=Counter(lexical_terms(folded, AliasTable(), language)),
            capitalised=actors(folded, language=language),
            language=language,
        )

    @cached_property
    def _dates_and_spans(self) -> tuple[list[DateRef], list[tuple[int, int]]]:
        return extract_dates(self.text, self.language)

    @property
    def dates(self) -> list[DateRef]:
        return self._dates_and_spans[0]

    @cached_property
    def quantities(self) -> list[Quantity]:
        return extract_quantities(self.text, skip=self._dates_and_spans[1], language=self.language)

    @cached_property
    def quotes(self) -> list[str]:
        return [_plain(q) for q in quotes(self.text)]

    @cached_property
    def surface(self) -> dict[str, str]:
        """A stem's first surface form in the text, to show "invited" rather than "invit"."""
        return {stem(w.lower(), self.language): w.lower() for w in reversed(words(self.text))}

    def actors(self, vocab: Vocabulary) -> list[tuple[str, ...]]:
        return self._named(vocab)[0]

    def name_terms(self, vocab: Vocabulary) -> dict[str, int]:
        """The stems of the names, each with the number of words of the shortest name it is
        part of ("xi jinping": 2): one actor is one piece of evidence, however many words name
        it."""
        return self._named(vocab)[1]

    def weight(self, vocab: Vocabulary) -> float:
        """The summed weight of the text's words (see _term_weight); a text is compared with
        many others under one vocabulary, so it is computed once per vocabulary version."""
        if self._weight is None or self._weight[0] != vocab.version:
            names = self.name_terms(vocab)
            total = sum(_term_weight(t, names, vocab) for t in self.terms)
            self._weight = (vocab.version, total)
        return self._weight[1]

    def bound_terms(self, vocab: Vocabulary) -> list[tuple[str, float, bool, float]]:
        """Per term, what lexical_bound adds when a passage has it: (term, its weight, whether
        it is part of a name, its IDF if it is a content word else 0). A claim wording is
        bounded against hundreds of passages under one vocabulary: computed once per version,
        in one pass that also gives weight()."""
        if self._bound is None or self._bound[0] != vocab.version:
            names = self.name_terms(vocab)
            titles = _title_stems(self.language)
            rows = []
            total = content = 0.0
            for t in self.terms:
                idf = vocab.idf(t)
                weight = idf / names.get(t, 1)  # as _term_weight
                is_content = t not in names and t not in titles
                rows.append((t, weight, t in names, idf if is_content else 0.0))
                total += weight
                if is_content:
                    content += idf
            self._bound = (vocab.version, rows, content)
            self._weight = (vocab.version, total)
        return self._bound[1]

    def content_weight(self, vocab: Vocabulary) -> float:
        """The summed IDF of the content words (not names or titles), as bound_terms counts."""
        self.bound_terms(vocab)
        assert self._bound is not None
        return self._bound[2]

    def _named(self, vocab: Vocabulary) -> tuple[list[tuple[str, ...]], dict[str, int]]:
        if self._names is None or self._names[0] != vocab.version:
            common = vocab.lower_words
            named = [tuple(t for t in run if t not in common) for run in self.capitalised]
            named = [run for run in named if run]
            terms: dict[str, int] = {}
            for run in named:
                for token in run:
                    term = stem(token, self.language)
                    terms[term] = min(terms.get(term, len(run)), len(run))
            self._names = (vocab.version, named, terms)
        return self._names[1], self._names[2]


def _plain(text: str) -> str:
    return " ".join(w.lower() for w in words(text))


# A title ("president", "minister") says who is named, not what is said.
_TITLE_STEMS = frozenset(stem(t) for t in TITLES)


def _title_stems(language: str) -> frozenset[str]:
    """The title stems a text's words are checked against: English titles in English only."""
    return _TITLE_STEMS if language == ENGLISH else frozenset()


def _term_weight(term: str, names: dict[str, int], vocab: Vocabulary) -> float:
    """IDF weight; the words of one name are not independent evidence ("Xi" and "Jinping"
    always come together), so a name of k words weighs as one word (the mean of their IDFs).
    Otherwise a claim and a passage that share only a long name look as alike as a paraphrase."""
    return vocab.idf(term) / names.get(term, 1)
