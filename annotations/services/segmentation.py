"""Split article text into passages (sentences) with their character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sentencex

# Lines are segmented separately: headlines, captions and boilerplate lines are their own units
# even where they lack final punctuation.
_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def split_passages(text: str, language: str = "en") -> list[Span]:
    """Sentences of `text` with offsets such that text[start:end] == span.text.

    `language` (ISO 639-1) picks sentencex's abbreviations and rules: "z. B." or "3. Oktober"
    end no German sentence, "EE. UU." no Spanish one; a language it lacks gets its fallbacks.

    sentencex (Wikimedia's rule-based segmenter, in Rust: far cheaper than a pure-Python one,
    with the same boundaries on the demo articles) decides the boundaries; offsets are found by searching forward for each sentence, so they hold
    even if the segmenter trims or alters one.
    """
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        cursor = line.start()
        for sentence in sentencex.segment(language, line.group()):
            stripped = sentence.strip()
            if not stripped:
                continue
            start = text.find(stripped, cursor, line.end())
            if start < 0:  # the segmenter altered the sentence; fall back to the rest of the line
                start, stripped = cursor, text[cursor : line.end()].strip()
                start = text.find(stripped, cursor) if stripped else -1
                if start < 0:
                    break
            end = start + len(stripped)
            spans.append(Span(start, end, stripped))
            cursor = end
    return spans


# --- clauses: the sub-spans of a sentence the matcher also scores ---------------------------

# Where a sentence divides into clauses: punctuation, dashes, and subordinating words that
# open a second statement ("..., but ...", "While ..., ...").
_CLAUSE_BREAK = re.compile(
    r"\s*[,;:()\u2014\u2013]\s*|\s+-{1,2}\s+|\s+(?=(?:but|while|whereas|although|though|because)\b)"
)
CLAUSE_MIN_WORDS = 4
CLAUSE_MAX_PARTS = 3


def clause_windows(text: str) -> list[tuple[int, int]]:
    """Sub-spans of a sentence made of 1 to CLAUSE_MAX_PARTS consecutive clauses, each of at
    least CLAUSE_MIN_WORDS words; the whole sentence is not included."""
    parts: list[tuple[int, int]] = []
    cursor = 0
    for m in _CLAUSE_BREAK.finditer(text):
        if m.start() > cursor:
            parts.append((cursor, m.start()))
        cursor = m.end()
    if cursor < len(text):
        parts.append((cursor, len(text)))
    if len(parts) < 2:
        return []
    windows: list[tuple[int, int]] = []
    for i in range(len(parts)):
        for j in range(i, min(len(parts), i + CLAUSE_MAX_PARTS)):
            start, end = parts[i][0], parts[j][1]
            if (i, j) == (0, len(parts) - 1):
                continue
            if len(text[start:end].split()) >= CLAUSE_MIN_WORDS:
                windows.append((start, end))
    return windows
