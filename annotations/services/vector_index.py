"""Upkeep of the passages' vector index (pgvector IVFFlat) and the settings searches use.

Why IVFFlat and not HNSW for passages: every loaded article inserts dozens of passages, and an
HNSW insert into a graph of a million passages rewrites the neighbour lists of dozens of other
rows, costing about as much as embedding the passage. An IVFFlat insert only finds the nearest
of `lists` centres. Its price is that the centres are learnt from the rows present when the
index is built: the index is rebuilt (with more lists) each time the table has doubled, in a
background task, so the total build work stays about twice that of the last build. The bench
(`benchmarks/`) measures both.

The index is built on the vectors cast to halfvec (float16, `annotations.models.half_embedding`):
a search reads half the bytes, and the bench measures its recall against exact search on the
float32 vectors.

Claims keep their HNSW index: a project has thousands of claims, not millions.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from common.models import OutboxMessage
from common.outbox import enqueue

logger = logging.getLogger(__name__)

INDEX_NAME = "passage_embedding_ivfflat"
TABLE_NAME = "annotations_passage"
TASK_REBUILD_INDEX = "annotations.rebuild_passage_index"

# pgvector's guidance: rows / 1000 lists up to a million rows, sqrt(rows) beyond.
ROWS_PER_LIST = 1_000
# Below this many rows one list is kept: a search reads every row, which is still fast.
MIN_ROWS_TO_CLUSTER = 10_000
# Lists a search reads: at least MIN_PROBES, and a fiftieth of the lists beyond that; fewer
# probes lose some of the exact nearest passages (the bench's recall sweep shows how many).
MIN_PROBES = 20
PROBE_SHARE = 50
# At most one rebuild is queued in this many seconds (the outbox says when the last was).
REBUILD_CHECK_SECONDS = 600.0
# A process reads the index's list count again after this many seconds (searches ask often).
PROBES_MEMO_SECONDS = 60.0
# Memory for the k-means sample of a rebuild (pgvector samples 50 rows per list).
BUILD_MEMORY = "512MB"
# An advisory lock key: one rebuild at a time across all processes.
_LOCK_KEY = 0x1F5A_0001


def lists_for(rows: int) -> int:
    """The number of lists to build the index with for `rows` passages."""
    if rows < MIN_ROWS_TO_CLUSTER:
        return 1
    if rows <= 1_000_000:
        return rows // ROWS_PER_LIST
    return int(math.sqrt(rows))


def probes_for(lists: int) -> int:
    """How many of `lists` lists a search reads."""
    return min(lists, max(MIN_PROBES, lists // PROBE_SHARE))


@dataclass(frozen=True)
class IndexState:
    lists: int  # what the index was built with
    rows: int  # passages now (the planner's estimate, kept by ANALYZE / autovacuum)

    @property
    def wanted_lists(self) -> int:
        return lists_for(self.rows)

    @property
    def rebuild_due(self) -> bool:
        """The table has at least doubled since the build (or first reached clustering size)."""
        return self.wanted_lists >= 2 * self.lists


def index_state() -> IndexState | None:
    """The index's lists and the table's row estimate (one catalogue query); None without the
    index (dropped by an operator or a bulk load)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.reloptions, t.reltuples FROM pg_class i, pg_class t "
            "WHERE i.relname = %s AND t.relname = %s",
            [INDEX_NAME, TABLE_NAME],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    options = dict(option.split("=", 1) for option in row[0] or [])
    return IndexState(lists=int(options.get("lists", 100)), rows=max(0, int(row[1])))


def search_probes() -> int:
    """ivfflat.probes for a search now: the list count is read at most once a minute per
    process (a memo of one entry, keyed by the minute), since every search asks."""
    return _probes_in_minute(int(time.monotonic() // PROBES_MEMO_SECONDS))


@functools.lru_cache(maxsize=1)
def _probes_in_minute(minute: int) -> int:
    state = index_state()
    return probes_for(state.lists if state else 1)


def forget_cached_probes() -> None:
    """After a rebuild in this process (or by hand): read the list count again at once."""
    _probes_in_minute.cache_clear()


@dataclass(frozen=True)
class RebuildReport:
    rebuilt: bool
    lists_before: int
    lists: int
    rows: int
    seconds: float


def rebuild_check() -> bool:
    """Queue a rebuild when the table has doubled since the index was built (by the planner's
    row estimate; one catalogue query). Asked after every processed article, so a rebuild is
    queued at most once per REBUILD_CHECK_SECONDS across all processes (the outbox holds the
    last one queued): the rebuild itself re-checks."""
    state = index_state()
    if state is None or not state.rebuild_due:
        return False
    since = timezone.now() - timedelta(seconds=REBUILD_CHECK_SECONDS)
    if OutboxMessage.objects.filter(task_name=TASK_REBUILD_INDEX, created_at__gte=since).exists():
        return False
    enqueue(TASK_REBUILD_INDEX)
    return True


def _drop_leftovers(cursor: CursorWrapper) -> None:
    """A REINDEX CONCURRENTLY cut short (a worker killed) leaves an invalid copy behind."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
        "WHERE NOT i.indisvalid AND c.relname LIKE %s",
        [INDEX_NAME + "_ccnew%"],
    )
    for (name,) in cursor.fetchall():
        logger.warning("Dropping %s, left by an interrupted rebuild.", name)
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def rebuild(*, force: bool = False, concurrently: bool = True) -> RebuildReport:
    """Rebuild the index with lists for the current size, if due (or `force`).

    1. Take the advisory lock without waiting: another process already rebuilding is enough.
    2. ANALYZE the table for a fresh row count; re-check that a rebuild is due.
    3. Set the new list count and REINDEX (CONCURRENTLY by default: searches and inserts go on
       meanwhile, on the old index). Must run outside a transaction.
    """
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        if not cursor.fetchone()[0]:
            logger.info("Passage index rebuild already running elsewhere.")
            return RebuildReport(False, 0, 0, 0, 0.0)
        try:
            cursor.execute(f"ANALYZE {TABLE_NAME}")
            state = index_state()
            if state is None or not (force or state.rebuild_due):
                lists = state.lists if state else 0
                return RebuildReport(False, lists, lists, state.rows if state else 0, 0.0)
            lists = state.wanted_lists
            _drop_leftovers(cursor)
            cursor.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
            cursor.execute(f"ALTER INDEX {INDEX_NAME} SET (lists = {lists})")
            try:
                cursor.execute(
                    f"REINDEX INDEX {'CONCURRENTLY ' if concurrently else ''}{INDEX_NAME}"
                )
            except Exception:
                if connection.in_atomic_block:
                    raise  # the transaction rolls the list count back with it
                # the old index stands: say so, so that the next check tries again
                cursor.execute(f"ALTER INDEX {INDEX_NAME} SET (lists = {state.lists})")
                raise
            cursor.execute("RESET maintenance_work_mem")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])
    forget_cached_probes()
    report = RebuildReport(True, state.lists, lists, state.rows, time.perf_counter() - started)
    logger.info("Rebuilt %s: %s", INDEX_NAME, report)
    return report
