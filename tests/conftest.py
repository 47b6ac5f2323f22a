"""Shared fixtures: personas (owner, editor, viewer, outsider), a real Celery worker process,
and a helper to wait for what the worker writes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from annotations.models import Project, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(db: None) -> Project:
    return ProjectFactory(name="Bridge collapse", slug="bridge-collapse")


@pytest.fixture
def owner(project: Project) -> Any:
    return MembershipFactory(
        project=project, user=UserFactory(username="alice"), role=Role.OWNER
    ).user


@pytest.fixture
def editor(project: Project) -> Any:
    return MembershipFactory(
        project=project, user=UserFactory(username="bob"), role=Role.EDITOR
    ).user


@pytest.fixture
def viewer(project: Project) -> Any:
    return MembershipFactory(
        project=project, user=UserFactory(username="charlie"), role=Role.VIEWER
    ).user


@pytest.fixture
def outsider(db: None) -> Any:
    return UserFactory(username="mallory")


def database_url_for_tests() -> str:
    """A URL to the database the tests use, for processes the tests start (workers)."""
    cfg = connection.settings_dict
    host = cfg.get("HOST") or cfg.get("OPTIONS", {}).get("host", "")
    port = cfg.get("PORT") or ""
    user = cfg.get("USER") or "postgres"
    password = cfg.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        return f"postgres://{auth}/{cfg['NAME']}?host={host}" + (f"&port={port}" if port else "")
    return f"postgres://{auth}{host}:{port or 5432}/{cfg['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url_for_tests(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_worker(name: str, *, log_path: Path, **extra_env: str) -> subprocess.Popen[bytes]:
    """Start `celery worker` as a separate process on the test queue; wait until it is ready."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "-n",
            f"{name}@%h",
            "-c",
            "1",
            "-P",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        cwd=BASE_DIR,
        env=worker_env(**extra_env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Celery worker exited early; log:\n{log_path.read_text()}")
        if b"ready." in log_path.read_bytes():
            return proc
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"Celery worker did not start in 90 s; log:\n{log_path.read_text()}")


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    """One real worker process for the session, on the real broker, against the test database."""
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with django_db_blocker.unblock():
        proc = start_worker("tests", log_path=log_path)
    yield proc
    stop_worker(proc)


@pytest.fixture
def worker(
    celery_worker_process: subprocess.Popen[bytes], transactional_db: None
) -> Iterator[subprocess.Popen[bytes]]:
    """Use in tests that need the real worker: data must be committed for it to see it."""
    yield celery_worker_process
    quiesce_database()


# Other sessions on the test database: the worker's, and the live server's.
_BUSY_SESSIONS = """
SELECT pid, state FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')
"""


def quiesce_database(*, quiet_s: float = 0.5, timeout: float = 30) -> None:
    """Before a transactional test's flush: wait until no other session has been inside a
    transaction for `quiet_s` (the worker finishing a task the test queued), then end any
    that never finishes. TRUNCATE takes every table's lock in turn; a task in the middle of
    a transaction that reads several tables can deadlock with it."""
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(_BUSY_SESSIONS)
            if cursor.fetchall():
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_s:
                return
            time.sleep(0.05)
        cursor.execute(f"SELECT pg_terminate_backend(pid) FROM ({_BUSY_SESSIONS}) AS busy")


def wait_for(predicate: Callable[[], Any], *, timeout: float = 60, interval: float = 0.25) -> Any:
    """Poll until `predicate()` is truthy; fail with a clear message after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s: {predicate}")
