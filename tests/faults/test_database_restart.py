"""The database restarting under load: requests fail cleanly while it is down, and the running
web server recovers by itself once it is back, without losing or half-saving a write.

gunicorn serves the project with persistent database connections (CONN_MAX_AGE=60, as in
production, with CONN_HEALTH_CHECKS). Threads read pages and the API and create claims through
the API while the test stops the embedded PostgreSQL server (fast shutdown), keeps it down for a
few seconds and starts it again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from knox.models import AuthToken

from annotations.models import Project
from claims.models import Claim
from claims.services.claims import TASK_MATCH_CLAIM
from common.models import OutboxMessage
from tests.factories import ArticleFactory
from tests.faults.support import EmbeddedPostgres, WebServer

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

OUTAGE_S = 4.0
# A request that takes longer than this counts as hanging.
HANG_S = 10.0
# After the server is back, requests started later than this must all succeed.
RECOVERY_S = 3.0
STATEMENT = "Load test claim {n}: the bridge reopens in spring."
LEAKS = ("Traceback", "OperationalError", "psycopg", "connection to server", str(settings.BASE_DIR))


@dataclass(frozen=True)
class Outcome:
    what: str
    started: float
    finished: float
    status: int | None  # None: no HTTP answer at all
    body: str
    claim_id: int | None = None


@pytest.fixture
def database() -> Iterator[EmbeddedPostgres]:
    if os.environ.get("DATABASE_URL"):
        pytest.skip("restarts the embedded PostgreSQL server; DATABASE_URL points elsewhere")
    server = EmbeddedPostgres(Path(settings.VAR_DIR) / "pgdata")
    yield server
    if not server.is_running():
        server.start()
    connection.close()  # the teardown flush reconnects to the restarted server


@pytest.fixture
def web(tmp_path: Path) -> Iterator[WebServer]:
    server = WebServer(
        tmp_path / "gunicorn.log",
        DJANGO_CONN_MAX_AGE="60",
        # its outbox publishes to a broker folder nobody else reads, whatever broker the tests
        # use: the session's worker must not run these tasks while the teardown empties the
        # tables (its locks and the flush's deadlocked once)
        CELERY_BROKER_URL="filesystem://",
        CLAIMTRACK_BROKER_DIR=str(tmp_path / "broker"),
    )
    try:
        yield server.wait_ready()
    finally:
        server.stop()


def test_requests_fail_cleanly_while_the_database_restarts_and_then_recover(
    database: EmbeddedPostgres,
    web: WebServer,
    project: Project,
    owner: User,
    record_property: Callable[[str, object], None],
) -> None:
    ArticleFactory(project=project, title="Bridge closed after cracks were found")
    load = _Load(web.url, project, owner)
    master_pid = web.proc.pid

    load.start()
    time.sleep(2)
    connection.close()  # this process's connection dies with the server too
    down_at = time.monotonic()
    database.stop()
    time.sleep(OUTAGE_S)
    database.start()
    up_at = time.monotonic()
    time.sleep(RECOVERY_S + 3)
    outcomes = load.stop()

    # 1. Nothing hung, and the web server always answered.
    assert all(o.status is not None for o in outcomes), [o for o in outcomes if o.status is None]
    slowest = max(o.finished - o.started for o in outcomes)
    assert slowest < HANG_S, slowest
    # 2. While the database was down, requests failed with a plain error page.
    failed = [o for o in outcomes if o.status is not None and o.status >= 500]
    assert failed, "no request saw the outage"
    assert {o.status for o in failed} <= {500, 503}
    assert all(down_at - 1 <= o.finished and o.started <= up_at for o in failed), failed
    assert not [o.body for o in failed if any(leak in o.body for leak in LEAKS)]
    # 3. Once it was back, the same processes served every request again.
    late = [o for o in outcomes if o.started > up_at + RECOVERY_S]
    assert len(late) >= 10 and all(o.status in (200, 201) for o in late), late
    assert web.proc.poll() is None and web.proc.pid == master_pid
    assert "WORKER TIMEOUT" not in web.log()
    # 4. Every write the client was told about is saved, each with its matching task queued;
    #    a failed write left nothing behind.
    acknowledged = {o.claim_id for o in outcomes if o.status == 201}
    saved = set(Claim.objects.filter(project=project).values_list("pk", flat=True))
    assert acknowledged and acknowledged <= saved
    queued = OutboxMessage.objects.filter(task_name=TASK_MATCH_CLAIM)
    assert sorted(pk for (pk,) in queued.values_list("args", flat=True)) == sorted(saved)
    # (A write whose commit landed just before the server went down but whose answer did not
    # get out would be saved although the client saw an error: the "saved" count shows it.)
    recovered = min(o.finished for o in outcomes if o.started > up_at and o.status in (200, 201))
    record_property(
        "observed",
        f"{len(outcomes)} requests, {len(failed)} answered {sorted({o.status or 0 for o in failed})} "
        f"during the {OUTAGE_S:.0f} s outage (plain error page), slowest {slowest:.2f} s; "
        f"first success {recovered - up_at:.2f} s after the restart, same gunicorn processes; "
        f"writes: {len(acknowledged)} acknowledged, {len(saved)} saved, each with its task",
    )


class _Load:
    """Threads that read two pages and the API and create claims, until stopped."""

    def __init__(self, base_url: str, project: Project, user: User) -> None:
        client = Client()
        client.force_login(user)
        self.base_url = base_url
        self.project = project
        self.cookies = {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value
        }
        _, self.token = AuthToken.objects.create(user=user)
        self.outcomes: list[Outcome] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(what,), daemon=True)
            for what in ("page", "project-page", "api-read", "api-write")
        ]
        self.writes = 0

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> list[Outcome]:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=HANG_S + 5)
        return sorted(self.outcomes, key=lambda o: o.started)

    def _loop(self, what: str) -> None:
        session = requests.Session()
        if what.startswith("api"):  # a script with a token
            session.headers["Authorization"] = f"Token {self.token}"
        else:  # a logged-in browser
            session.cookies.update(self.cookies)
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                response = self._request(session, what)
                status, body = response.status_code, response.text[:2000]
            except requests.RequestException as exc:
                status, body = None, f"{type(exc).__name__}: {exc}"
            claim_id = None
            if what == "api-write" and status == 201:
                claim_id = int(response.json()["id"])
            with self.lock:
                self.outcomes.append(
                    Outcome(what, started, time.monotonic(), status, body, claim_id)
                )
            time.sleep(0.05)

    def _request(self, session: requests.Session, what: str) -> requests.Response:
        if what == "page":
            return session.get(f"{self.base_url}/", timeout=HANG_S + 5)
        if what == "project-page":
            return session.get(f"{self.base_url}/projects/{self.project.slug}/", timeout=HANG_S + 5)
        if what == "api-read":
            return session.get(f"{self.base_url}/api/claims/", timeout=HANG_S + 5)
        with self.lock:
            self.writes += 1
            n = self.writes
        return session.post(
            f"{self.base_url}/api/claims/",
            json={"project": self.project.pk, "statement": STATEMENT.format(n=n)},
            timeout=HANG_S + 5,
        )
