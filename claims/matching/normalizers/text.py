"""Text folding, words, stems and function words."""

from __future__ import annotations

import re
from functools import lru_cache

from unidecode import unidecode


def _wordset(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# The word lists and the suffix stripper here are English (as are the number words and month
# names beside them): they apply to English texts only. A text in another language is compared
# by its plain words, digits and ISO dates; no list is written here for it.
ENGLISH = "en"


# English function words: dropped from lexical overlap and never taken for names when they
# open a sentence. Negations are kept (they change truth conditions).
STOPWORDS = _wordset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves said says say told
    according would've could've it's he's she's they're we're i'm i've don't"""
)
NEGATIONS = frozenset({"not", "no", "never", "nor", "neither", "without"})
# Honorifics and office titles are capitalised before names but are not actors themselves.
TITLES = _wordset(
    """mr mrs ms dr prof sir dame lord lady gen general col colonel lt capt captain maj major adm
    admiral sgt president vice prime minister chancellor secretary gov governor sen senator rep
    representative mayor king queen prince princess pope chief minister spokesman spokeswoman
    spokesperson ambassador commander deputy foreign defence defense interior state premier
    former leader head director chairman chairwoman judge justice"""
)

_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_QUOTED = re.compile(r"\"([^\"]{3,400})\"")


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """ASCII-fold (Unidecode) so transliteration and typography variants compare equal."""
    return unidecode(text).replace("''", '"').replace("``", '"')


def function_words(language: str) -> frozenset[str]:
    """The words lexical overlap leaves out: STOPWORDS in English, none in other languages."""
    return STOPWORDS if language == ENGLISH else frozenset()


@lru_cache(maxsize=200_000)
def stem(word: str, language: str = ENGLISH) -> str:
    """A light English suffix stripper: enough for 'invited'/'invitation'/'invite'. Words of
    other languages are only lower-cased: English suffixes would cut theirs at random."""
    w = word.lower().replace("'", "")
    if language != ENGLISH or len(w) <= 3 or not w.isalpha():
        return w
    for suffix, repl in (
        ("ational", "ate"), ("ations", ""), ("ation", ""), ("ically", "ic"), ("ingly", ""),
        ("fully", "ful"), ("ously", "ous"), ("ness", ""), ("ments", ""), ("ment", ""),
        ("ings", ""), ("ing", ""), ("ies", "y"), ("ied", "y"), ("edly", ""), ("ed", ""),
        ("ly", ""), ("es", ""), ("s", ""),
    ):  # fmt: skip
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                continue
            w = w[: len(w) - len(suffix)] + repl
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":  # stopp -> stop
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def words(folded: str) -> list[str]:
    return [m.group() for m in _WORD.finditer(folded)]


def quotes(folded: str) -> list[str]:
    """Direct quotations of at least four words."""
    return [q.strip() for q in _QUOTED.findall(folded) if len(q.split()) >= 4]
