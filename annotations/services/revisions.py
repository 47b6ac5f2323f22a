"""Correcting an article's text: a new revision, whatever points into it moved, passages redone."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from annotations.models import Article, ProcessingState, Role
from annotations.permissions import require_role
from annotations.services.articles import MSG_DUPLICATE, TASK_PROCESS_ARTICLE
from annotations.services.extraction import content_hash, normalize_newlines
from annotations.signals import article_revised
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
    3. Announce the new text (`article_revised`), in this transaction: the layers above move
       what they placed in the old one.
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
    article_revised.send(sender=Article, article=current, text=text)
    enqueue(TASK_PROCESS_ARTICLE, current.pk)
    return current
