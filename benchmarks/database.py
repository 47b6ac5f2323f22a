"""The throwaway benchmark database and the index work around bulk loads.

The bench runs in its own database (`claimtrack_bench_<pid>`) on the configured server:
created and migrated at the start, dropped at the end, so a million synthetic passages never
touch the real projects and cleaning up is one DROP DATABASE. The pid in the name lets two runs
share a server; a database left by a run that was killed is dropped by the next one.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import psycopg
from django.db import connection

from annotations.services import vector_index

BENCH_DATABASE_PREFIX = "claimtrack_bench_"
# Indexes rebuilt after each bulk load: building once is far cheaper than inserting a row at a
# time (measured and reported as incremental_rows_per_s vs bulk_rows_per_s). The IVFFlat one
# is rebuilt as the product's doubling rebuild leaves it: lists for the rows in the table.
ANN_INDEX = vector_index.INDEX_NAME
BULK_INDEXES = (ANN_INDEX, "passage_search_gin")
_LISTS = re.compile(r"lists\s*=\s*'?\d+'?")


def database_url(name: str) -> str:
    """A DATABASE_URL for database `name` on the server the default connection uses."""
    cfg = connection.settings_dict
    host = cfg.get("HOST") or cfg.get("OPTIONS", {}).get("host", "")
    port = cfg.get("PORT") or ""
    user = quote(cfg.get("USER") or "postgres")
    password = quote(cfg.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        return f"postgres://{auth}/{name}?host={host}" + (f"&port={port}" if port else "")
    return f"postgres://{auth}{host or 'localhost'}:{port or 5432}/{name}"


def bench_database_name() -> str:
    return f"{BENCH_DATABASE_PREFIX}{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create_database(name: str) -> str:
    """Drop bench databases of runs no longer alive, create `name` afresh; return its URL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [BENCH_DATABASE_PREFIX + "%"],
        )
        for (datname,) in cursor.fetchall():
            suffix = datname.removeprefix(BENCH_DATABASE_PREFIX)
            if datname == name or (suffix.isdigit() and not _alive(int(suffix))):
                drop_database(datname)
        cursor.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def raw_connection() -> psycopg.Connection:
    """A separate autocommit psycopg connection to the current database, for COPY and builds
    (kept apart from Django's so registering pgvector types there changes nothing for Django)."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


@dataclass
class IndexDef:
    name: str
    sql: str

    def sql_for(self, rows: int) -> str:
        """The statement that builds this index over `rows` rows: the IVFFlat with the lists
        vector_index.rebuild() would give it at that size, any other as migrated."""
        if self.name != ANN_INDEX:
            return self.sql
        lists = vector_index.lists_for(rows)
        if _LISTS.search(self.sql):
            return _LISTS.sub(f"lists='{lists}'", self.sql)
        return f"{self.sql} WITH (lists='{lists}')"


def index_definitions(cur: psycopg.Cursor, names: tuple[str, ...] = BULK_INDEXES) -> list[IndexDef]:
    """The CREATE INDEX statements of the migrated schema, so a rebuild is exactly the same."""
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s) ORDER BY indexname",
        [list(names)],
    )
    return [IndexDef(name, sql) for name, sql in cur.fetchall()]


def drop_indexes(cur: psycopg.Cursor, defs: list[IndexDef]) -> None:
    for d in defs:
        cur.execute(f'DROP INDEX IF EXISTS "{d.name}"')


def table_rows(cur: psycopg.Cursor) -> int:
    cur.execute(f"SELECT count(*) FROM {vector_index.TABLE_NAME}")
    row = cur.fetchone()
    assert row is not None  # count(*) always returns one row
    return int(row[0])


@contextlib.contextmanager
def build_session(cur: psycopg.Cursor) -> Iterator[None]:
    """Session settings for index builds: the memory the product's rebuild takes (the IVFFlat
    k-means sample must fit in it) and one parallel worker beside the leader (2 cores)."""
    cur.execute(f"SET maintenance_work_mem = '{vector_index.BUILD_MEMORY}'")
    cur.execute("SET max_parallel_maintenance_workers = 1")
    try:
        yield
    finally:
        cur.execute("RESET maintenance_work_mem")
        cur.execute("RESET max_parallel_maintenance_workers")
