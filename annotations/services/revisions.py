"""Correcting an article's text: a new revision, every annotation re-anchored, passages redone."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from annotations.models import AnchorState, Annotation, Article, ProcessingState, Role
from annotations.permissions import require_role
from annotations.services.anchoring import CONTEXT_CHARS, reanchor
from annotations.services.articles import MSG_DUPLICATE, TASK_PROCESS_ARTICLE
from annotations.services.extraction import content_hash, normalize_newlines
from common.errors import ApplicationError, Conflict, PreconditionFailed
from common.outbox import enqueue

MSG_STALE_REVISION = (
    "The article was corrected by someone else (now revision {current}); reload it."
)


@transaction.atomic
def article_revise(
    *,
    article: Article,
    text: str,
    actor: User | None,
    expected_revision: int | None = None,
) -> Article:
    """Replace the article's text with a corrected one.

    1. Check the role, the revision the editor saw, and that the text is new to the project.
    2. Save the text as the next revision.
    3. Re-anchor every annotation (orphaned ones included: a later fix may place them again);
       those that cannot be placed are flagged orphaned and kept.
    4. Queue re-processing: unchanged passages keep their candidates and decisions, changed
       ones are replaced and matched again.
    """
    if actor is not None:
        require_role(actor, article.project, Role.EDITOR)
    text = normalize_newlines(text)
    if not text.strip():
        raise ApplicationError("The article has no text.")
    current = Article.objects.select_for_update().get(pk=article.pk)
    if expected_revision is not None and current.revision != expected_revision:
        raise PreconditionFailed(MSG_STALE_REVISION.format(current=current.revision))
    if text == current.text:
        return current
    digest = content_hash(text)
    clash = Article.objects.filter(project=current.project, content_hash=digest).exclude(
        pk=current.pk
    )
    if (other := clash.first()) is not None:
        raise Conflict(MSG_DUPLICATE.format(title=other.title or "untitled", pk=other.pk))
    current.text = text
    current.content_hash = digest
    current.revision += 1  # the row is locked: a plain increment is safe
    current.processing_state = ProcessingState.PENDING
    current._change_reason = "Text corrected"  # type: ignore[attr-defined]  # simple-history
    current.save()
    for annotation in Annotation.objects.filter(article=current).order_by("pk"):
        _reanchor_one(annotation, text)
    enqueue(TASK_PROCESS_ARTICLE, current.pk)
    return current


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
