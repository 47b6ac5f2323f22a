"""Corrections editors make after the fact: moving a mention's span, deleting a claim."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from annotations.models import Role
from annotations.permissions import require_role
from claims.models import AnchorState, Annotation, Claim
from claims.services.claims import MSG_DUPLICATE_MENTION, _check_span, _selectors
from common.errors import ApplicationError, Conflict

MSG_UNKNOWN_NUDGE = "Unknown adjustment “{nudge}”."
# Nudges move one edge of a span by a word: (edge, direction).
NUDGES = {
    "start-earlier": ("start", -1),
    "start-later": ("start", 1),
    "end-earlier": ("end", -1),
    "end-later": ("end", 1),
}
WORD = re.compile(r"\w+")


def _next_edge(text: str, at: int, edge: str, direction: int) -> int:
    """The nearest word start (for a span's start) or word end (for its end) before or after
    `at`; the text's ends when there is none. Whitespace is never the new edge."""
    edges = [m.start() if edge == "start" else m.end() for m in WORD.finditer(text)]
    if direction < 0:
        return max((e for e in edges if e < at), default=0)
    return min((e for e in edges if e > at), default=len(text))


def nudged_span(*, text: str, start: int, end: int, nudge: str) -> tuple[int, int]:
    """The span with one edge moved by a word in the given direction."""
    if nudge not in NUDGES:
        raise ApplicationError(MSG_UNKNOWN_NUDGE.format(nudge=nudge))
    edge, direction = NUDGES[nudge]
    if edge == "start":
        return _next_edge(text, start, "start", direction), end
    return start, _next_edge(text, end, "end", direction)


def annotation_move(
    *, annotation: Annotation, start: int, end: int, actor: User, exact: str | None = None
) -> Annotation:
    """Put the mention on a new span of its article.

    1. Check the role, and the span as marking does (inside the text, not blank, `exact`
       matching when given); edge whitespace is trimmed.
    2. Store new position and quote selectors; the mention counts as anchored again (an
       orphaned mention is re-anchored by the editor this way). History records the move.
    """
    article = annotation.article
    require_role(actor, article.project, Role.EDITOR)
    if "text" in article.get_deferred_fields():
        article.refresh_from_db(fields=["text"])
    start, end = _check_span(article, start, end, exact)
    annotation.start, annotation.end = start, end
    for name, value in _selectors(article.text, start, end).items():
        setattr(annotation, name, value)
    annotation.anchor_state = AnchorState.ANCHORED
    annotation.version += 1
    try:
        with transaction.atomic():
            annotation.save()
    except IntegrityError as exc:
        raise Conflict(MSG_DUPLICATE_MENTION) from exc
    return annotation


@transaction.atomic
def claim_delete(*, claim: Claim, actor: User) -> None:
    """Delete the claim with its mentions, relations and candidates (they cascade); the
    history keeps a record of the claim and of each mention."""
    require_role(actor, claim.project, Role.EDITOR)
    claim.delete()
