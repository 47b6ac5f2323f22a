"""Split article text into passages (sentences) with their character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

# Lines are segmented separately: headlines, captions and boilerplate lines are their own units
# even where they lack final punctuation.
_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_passages(text: str) -> list[Span]:
    """Sentences of `text` with offsets such that text[start:end] == span.text.

    pysbd decides the boundaries; offsets are found by searching forward for each sentence,
    which stays correct where pysbd's own char_span option is known to drift.
    """
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        cursor = line.start()
        for sentence in _segmenter().segment(line.group()):
            stripped = sentence.strip()
            if not stripped:
                continue
            start = text.find(stripped, cursor, line.end())
            if start < 0:  # pysbd altered the sentence; fall back to the rest of the line
                start, stripped = cursor, text[cursor : line.end()].strip()
                start = text.find(stripped, cursor) if stripped else -1
                if start < 0:
                    break
            end = start + len(stripped)
            spans.append(Span(start, end, stripped))
            cursor = end
    return spans
