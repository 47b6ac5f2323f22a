"""The reader's two long lists as markup: the highlighted article text and the claims beside it.

Built in one pass here rather than by template loops: a long article has hundreds of segments
and mentions, and the template engine's per-variable cost made up most of the page. The markup
is the same the templates drew (reader.js, the browser tests and the claim colours rely on its
class names, ids and data attributes). Article text and claim statements are untrusted: every
piece of text goes through escape() (the standard library's, which Django's wraps: the same
output without its lazy-string checks); only integers and fixed strings are written unescaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from claims.highlights import Segment
from claims.models import AnchorState, Annotation, ClaimKind, ClaimStatus
from common.urls import pk_url

# The side panel's quotes are cut to this many characters, as `truncatechars` would.
QUOTE_CHARS = 100


def segments_markup(segments: Iterable[Segment]) -> SafeString:
    """The article text: each segment escaped, a covered one in its <mark>, with the anchors
    of the mentions that begin there before it (the side panel's links jump to them)."""
    parts: list[str] = []
    for seg in segments:
        parts.extend(
            f'<span class="anchor" id="annotation-{int(pk)}"></span>' for pk in seg.anchors
        )
        if seg.mentions:
            parts.append(
                f'<mark class="hl depth-{int(seg.depth)}" data-mentions="{seg.mention_ids}"'
                f' data-claims="{seg.claim_ids}" title="{escape(seg.title)}"'
                f' data-colour="{int(seg.colour)}">{escape(seg.text)}</mark>'
            )
        else:
            parts.append(escape(seg.text))
    return mark_safe("".join(parts))  # every piece of text above is escaped


def _quote(text: str) -> str:
    # Truncator counts combining marks as it should but is slow; a quote short enough in code
    # points is short enough in characters.
    return text if len(text) <= QUOTE_CHARS else Truncator(text).chars(QUOTE_CHARS)


def _labels(choices: list[tuple[str, str]]) -> dict[str, str]:
    return {value: escape(str(label)) for value, label in choices}


def _mention_item(mention: Annotation, states: dict[str, str]) -> str:
    state = ""
    if mention.anchor_state != AnchorState.ANCHORED:
        label = states.get(mention.anchor_state, escape(mention.anchor_state))
        state = f' <span class="warn">{label}</span>'
    pk = int(mention.pk)
    return (
        f'<li><a class="jump" href="#annotation-{pk}" data-mention="{pk}">'
        f"“<bdi>{escape(_quote(mention.exact))}</bdi>”</a>{state}</li>"
    )


def side_claims_markup(entries: Iterable[dict[str, Any]]) -> SafeString:
    """The side panel's claims (the legend): for each, its swatch, statement, status badge
    (as claims/_status_badge.html draws it), kind, and its mentions as links into the text."""
    claim_url: Callable[[int], str] = pk_url("claim-detail")
    # Labels as get_FOO_display gives them (the value itself where unknown), escaped once.
    statuses, kinds = _labels(ClaimStatus.choices), _labels(ClaimKind.choices)
    states = _labels(AnchorState.choices)
    parts: list[str] = []
    for entry in entries:
        claim = entry["claim"]
        quotes = "\n        ".join(_mention_item(m, states) for m in entry["mentions"])
        parts.append(
            f'<li class="side-claim" data-claim="{int(claim.pk)}">\n'
            f'      <span class="swatch" data-colour="{int(entry["colour"])}" aria-hidden="true">'
            f'</span><a class="statement" href="{escape(claim_url(claim.pk))}" dir="auto">'
            f"{escape(claim.statement)}</a>\n"
            f'      <div class="meta"><span class="status status-{escape(claim.status)}">'
            f"{statuses.get(claim.status, escape(claim.status))}</span> · "
            f"{kinds.get(claim.kind, escape(claim.kind))}</div>\n"
            f'      <ul class="quotes">\n        {quotes}\n      </ul>\n    </li>'
        )
    return mark_safe("\n    ".join(parts))  # every piece of text above is escaped
