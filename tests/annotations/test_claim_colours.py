"""The reader's colour per claim: claims of an article take palette colours in order of first
mention, and each highlighted segment shows its innermost mention's claim."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from claims.highlights import PALETTE_SIZE, claim_colours, colour_segments, segments


def _mention(pk: int, claim_id: int, start: int, end: int) -> Any:
    return SimpleNamespace(pk=pk, claim_id=claim_id, start=start, end=end, anchor_state="anchored")


def test_claims_get_distinct_colours_in_order_until_the_palette_wraps() -> None:
    ids = [40, 7, 40, *range(100, 100 + PALETTE_SIZE)]
    colours = claim_colours(ids)
    assert colours[40] == 0 and colours[7] == 1
    first_eight = [colours[i] for i in dict.fromkeys(ids)][:PALETTE_SIZE]
    assert len(set(first_eight)) == PALETTE_SIZE
    assert colours[100 + PALETTE_SIZE - 1] == (PALETTE_SIZE + 1) % PALETTE_SIZE


def test_overlap_shows_the_inner_claim_colour() -> None:
    text = "The battle lasted seven months, officials said."
    outer, inner = _mention(1, 10, 0, 30), _mention(2, 20, 18, 30)
    segs = segments(text, [outer, inner])
    colour_segments(segs, claim_colours([10, 20]))
    by_text = {seg.text: seg.colour for seg in segs}
    assert by_text["The battle lasted "] == 0
    assert by_text["seven months"] == 1
