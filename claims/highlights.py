"""Cutting an article's text into segments for the reader, so overlapping mentions all show
(claims.reader_markup draws them).

The reader's JavaScript maps a selection back to character offsets by counting the text of
the container, so the segments, joined, must be exactly the article text: nothing added,
nothing dropped. Every segment knows all the mentions that cover it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from claims.models import AnchorState, Annotation

# Shades of highlight; deeper overlaps share the darkest one.
MAX_DEPTH = 3
# Highlight colours in the reader (claimtrack.css `[data-colour]`): the claims of an article
# take them in order of first mention, so the first this many claims never share one.
PALETTE_SIZE = 8


@dataclass
class Segment:
    text: str
    start: int
    end: int
    mentions: list[Annotation] = field(default_factory=list)
    # Mentions that begin here: the page puts their `annotation-<pk>` anchors before the text.
    anchors: list[int] = field(default_factory=list)
    # Palette index of the claim drawn here (see colour_segments).
    colour: int = 0

    @property
    def depth(self) -> int:
        return min(len(self.mentions), MAX_DEPTH)

    @property
    def mention_ids(self) -> str:
        return " ".join(str(m.pk) for m in self.mentions)

    @property
    def claim_ids(self) -> str:
        return " ".join(sorted({str(m.claim_id) for m in self.mentions}))

    @property
    def title(self) -> str:
        """Tooltip: the statements of the claims this passage states."""
        statements = dict.fromkeys(m.claim.statement for m in self.mentions)
        return "\n".join(f"• {s}" for s in statements)


def drawable(mention: Annotation, length: int) -> bool:
    """Orphaned mentions (their quote is gone from the text) are listed, not drawn."""
    return (
        mention.anchor_state != AnchorState.ORPHANED and 0 <= mention.start < mention.end <= length
    )


def segments(text: str, mentions: Iterable[Annotation]) -> list[Segment]:
    """Split `text` at every mention boundary.

    1. Collect the boundaries: 0, the end of the text, and each drawable mention's start/end.
    2. Sweep them in order, keeping the mentions open at each boundary (those that began and
       have not ended): between consecutive boundaries, one segment covered by exactly those.
    Segments list their mentions in the order given, as the anchors that begin there.
    """
    spans = [m for m in mentions if drawable(m, len(text))]
    cuts = sorted({0, len(text)} | {m.start for m in spans} | {m.end for m in spans})
    starting: defaultdict[int, list[int]] = defaultdict(list)
    ending: defaultdict[int, list[int]] = defaultdict(list)
    for index, mention in enumerate(spans):
        starting[mention.start].append(index)
        ending[mention.end].append(index)
    open_spans: set[int] = set()
    result = []
    for start, end in pairwise(cuts):
        open_spans.difference_update(ending.get(start, ()))
        begin = starting.get(start, [])
        open_spans.update(begin)
        result.append(
            Segment(
                text=text[start:end],
                start=start,
                end=end,
                mentions=[spans[i] for i in sorted(open_spans)],
                anchors=[spans[i].pk for i in begin],
            )
        )
    return result


def claim_colours(claim_ids: Iterable[int]) -> dict[int, int]:
    """A palette index per claim, in the order given (the reader's order of first mention)."""
    colours: dict[int, int] = {}
    for claim_id in claim_ids:
        colours.setdefault(claim_id, len(colours) % PALETTE_SIZE)
    return colours


def colour_segments(segments: Iterable[Segment], colours: dict[int, int]) -> None:
    """Colour each segment as its innermost mention's claim (the one that began last), so a
    short claim inside a longer one still shows in its own colour."""
    for segment in segments:
        if segment.mentions:
            innermost = max(segment.mentions, key=lambda m: (m.start, -m.end))
            segment.colour = colours.get(innermost.claim_id, 0)
