"""Re-anchoring: find where an annotation sits in a corrected article text.

Annotations are W3C selector pairs (TextPositionSelector + TextQuoteSelector), so they can be
re-found after the text changes, in this order (as Hypothesis and Recogito do):
1. the old position, if the exact quote is still there;
2. the exact quote elsewhere, the occurrence whose prefix/suffix fit best (nearest on a tie);
3. a fuzzy match of the quote (rapidfuzz alignment), if similar enough;
otherwise the annotation is orphaned: kept with its old selectors for an editor, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from annotations.models import Article
from claims.models import AnchorState, Annotation

# Minimum rapidfuzz partial-ratio (0-100) for a fuzzy re-anchor; below it an editor decides.
FUZZY_MIN_SCORE = 85.0
# Context compared on each side when choosing between repeated occurrences of a quote.
CONTEXT_CHARS = 32


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    state: AnchorState


def _context_fit(text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    before = text[max(0, start - len(prefix)) : start]
    after = text[end : end + len(suffix)]
    return fuzz.ratio(before, prefix) + fuzz.ratio(after, suffix)


def _exact_elsewhere(text: str, exact: str, prefix: str, suffix: str, old_start: int) -> int | None:
    starts = []
    at = text.find(exact)
    while at >= 0:
        starts.append(at)
        at = text.find(exact, at + 1)
    if not starts:
        return None
    return max(
        starts,
        key=lambda s: (_context_fit(text, s, s + len(exact), prefix, suffix), -abs(s - old_start)),
    )


def _fuzzy(text: str, exact: str) -> tuple[int, int] | None:
    if len(exact) < 4:
        return None  # too short to recognise once changed
    found = fuzz.partial_ratio_alignment(exact, text, score_cutoff=FUZZY_MIN_SCORE)
    if found is None:
        return None
    start, end = found.dest_start, found.dest_end
    span = text[start:end]
    start += len(span) - len(span.lstrip())
    end -= len(span) - len(span.rstrip())
    return (start, end) if start < end else None


def reanchor(
    text: str, *, start: int, end: int, exact: str, prefix: str, suffix: str
) -> Anchor | None:
    """Where the quote sits in `text` now, and how it was found; None if it cannot be placed."""
    if 0 <= start < end <= len(text) and text[start:end] == exact:
        return Anchor(start, end, AnchorState.ANCHORED)
    moved = _exact_elsewhere(text, exact, prefix, suffix, start)
    if moved is not None:
        return Anchor(moved, moved + len(exact), AnchorState.MOVED)
    fuzzy = _fuzzy(text, exact)
    if fuzzy is not None:
        return Anchor(fuzzy[0], fuzzy[1], AnchorState.FUZZY)
    return None


def mentions_reanchor(*, article: Article, text: str) -> None:
    """Move every mention of `article` into its corrected `text` (orphaned ones included: a
    later fix may place them again); those that cannot be placed are flagged orphaned and
    kept. Runs in the transaction that saved the text, with the article row locked."""
    for annotation in Annotation.objects.filter(article=article).order_by("pk"):
        _reanchor_one(annotation, text)


def _reanchor_one(annotation: Annotation, text: str) -> None:
    anchor = reanchor(
        text,
        start=annotation.start,
        end=annotation.end,
        exact=annotation.exact,
        prefix=annotation.prefix,
        suffix=annotation.suffix,
    )
    if anchor is None:
        if annotation.anchor_state != AnchorState.ORPHANED:
            annotation.anchor_state = AnchorState.ORPHANED
            annotation.version += 1
            annotation.save(update_fields=["anchor_state", "version", "updated_at"])
        return
    unchanged = (anchor.start, anchor.end, anchor.state) == (
        annotation.start,
        annotation.end,
        annotation.anchor_state,
    )
    if unchanged and text[anchor.start : anchor.end] == annotation.exact:
        return
    annotation.start, annotation.end, annotation.anchor_state = (
        anchor.start,
        anchor.end,
        anchor.state,
    )
    annotation.exact = text[anchor.start : anchor.end]
    annotation.prefix = text[max(0, anchor.start - CONTEXT_CHARS) : anchor.start]
    annotation.suffix = text[anchor.end : anchor.end + CONTEXT_CHARS]
    annotation.version += 1
    annotation.save()
