"""Where the texts layer hands over to claims: the receivers of `annotations.signals`, connected
once by `ClaimsConfig.ready()`. Each runs inside the sender's transaction.
"""

from __future__ import annotations

from typing import Any

from annotations.models import Article
from claims.matching.waiting import sweep_waiting_claims
from claims.services.anchoring import mentions_reanchor
from common.outbox import enqueue

TASK_MATCH_ARTICLE = "claims.match_article"


def match_processed_article(sender: Any, *, article_id: int, **kwargs: Any) -> None:
    """A processed article is matched against the project's claims (through the outbox, so
    the task is queued only if the passages commit)."""
    enqueue(TASK_MATCH_ARTICLE, article_id)


def reanchor_revised_article(sender: Any, *, article: Article, text: str, **kwargs: Any) -> None:
    """A corrected text takes its mentions with it."""
    mentions_reanchor(article=article, text=text)


def match_stranded_claims(sender: Any, **kwargs: Any) -> None:
    """The recovery sweep also wakes matching of claims left waiting by a lost task."""
    sweep_waiting_claims()
