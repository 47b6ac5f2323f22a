"""Which run holds an article or a claim: processing and matching take waiting rows the same way.

Any model with a `held_by` field can be held (articles here; claims waiting for matching, in
the claims layer, use the same functions with `model=`). A run takes articles in a short
transaction, `SELECT ... FOR UPDATE SKIP LOCKED`, and writes
its PostgreSQL session into `Article.held_by` before committing; it then works with no lock
held, and its final write is guarded by that mark, so an article whose run was given up for
dead is never written by two runs. A run is alive while its session is: PostgreSQL ends the
session of a killed worker, and the next run (or the sweep) takes the article up. Nobody waits
for another run: an article a live run holds is that run's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL

from annotations.models import Article

# A session is its backend's pid and start time: a pid alone is reused by a later session.
# Sessions of another database user show no start time; the app connects as one user.
_SESSION = "pid::text || ':' || (extract(epoch FROM backend_start) * 1000000)::bigint::text"
_LIVE_SESSIONS = f"SELECT {_SESSION} FROM pg_stat_activity WHERE backend_start IS NOT NULL"

Held = TypeVar("Held", bound=Model)


def this_session() -> RawSQL:
    """This connection's session (what `Article.held_by` holds), computed by PostgreSQL."""
    return RawSQL(f"(SELECT {_SESSION} FROM pg_stat_activity WHERE pid = pg_backend_pid())", [])


def not_held(articles: QuerySet[Held]) -> QuerySet[Held]:
    """The rows of `articles` no live run holds (to be read right away)."""
    # PostgreSQL reads pg_stat_activity once per transaction: in a long one it would take a
    # session that started since for dead. Read it afresh.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
    return articles.filter(Q(held_by="") | ~Q(held_by__in=RawSQL(_LIVE_SESSIONS, [])))


def take(
    articles: QuerySet[Held],
    *,
    limit: int,
    first: int | None = None,
    update: dict[str, Any] | None = None,
) -> list[int]:
    """Take up to `limit` of `articles` that no live run holds (`first` ahead of the others,
    then in the queryset's order): mark them held by this session, with `update`, and commit.
    Rows another transaction is taking right now are skipped."""
    if limit <= 0:
        return []
    with transaction.atomic():
        free = not_held(articles).select_for_update(no_key=True, skip_locked=True, of=("self",))
        ids: list[int] = []
        if first is not None:
            ids = list(free.filter(pk=first).values_list("pk", flat=True))
            free = free.exclude(pk=first)
        ids += list(free.values_list("pk", flat=True)[: limit - len(ids)])
        if ids:
            articles.model._default_manager.filter(pk__in=ids).update(
                held_by=this_session(), **(update or {})
            )
    return ids


def held_here(ids: Iterable[int], *, model: type[Model] = Article) -> QuerySet[Any]:
    """The rows of `ids` this session still holds: the guard of a run's final write."""
    return model._default_manager.filter(pk__in=list(ids), held_by=this_session())


def release(ids: Iterable[int], *, model: type[Model] = Article, **update: Any) -> int:
    """Let go of the rows of `ids` this session holds (with `update`); the number let go."""
    return held_here(ids, model=model).update(held_by="", **update)
