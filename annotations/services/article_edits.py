"""An article's details (title, outlet, URL, publication date) and its deletion.

The text itself changes only through revisions (services.revisions), which re-anchor marks.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from annotations.models import Article, Role
from annotations.permissions import require_role
from annotations.services.articles import _source_for
from common.errors import ApplicationError


@transaction.atomic
def article_update_details(
    *,
    article: Article,
    title: str,
    outlet: str,
    url: str,
    published_at: dt.datetime | None,
    actor: User,
) -> Article:
    """Save the details; an outlet new to the project becomes one of its sources."""
    require_role(actor, article.project, Role.EDITOR)
    article.title = title.strip()
    article.url = url.strip()
    article.published_at = published_at
    article.source = _source_for(article.project, outlet, "")
    try:
        article.full_clean(exclude=["text", "content_hash", "project", "source", "created_by"])
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from exc
    article.save()
    return article


@transaction.atomic
def article_delete(*, article: Article, actor: User) -> None:
    """Delete the article with its passages, mentions and candidates (they cascade); the claims
    stay, and the history keeps a record of the article and of each mention."""
    require_role(actor, article.project, Role.EDITOR)
    article.delete()
