"""/health/: 200 with every part when all are up, 503 naming the part that is down, fast when
the broker hangs, no secret in the body, served over plain HTTP in production."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from annotations.models import ProcessingState
from common import health
from common.health import worker_heartbeat_beat, worker_heartbeat_record
from common.models import OutboxMessage, WorkerHeartbeat
from tests.conftest import BASE_DIR, database_url_for_tests, wait_for, worker_env
from tests.factories import ArticleFactory
from tests.faults.support import RedisServer, free_port, publishing_to

PARTS = {"database", "broker", "worker", "outbox", "articles"}
SECRET = "hunter2-broker-secret"


def _health(client: Client) -> tuple[int, dict[str, Any], str]:
    response = client.get(reverse("health"))
    body = response.content.decode()
    return response.status_code, json.loads(body), body


@pytest.mark.django_db
def test_health_is_200_and_names_every_part_when_all_are_up(client: Client, project) -> None:
    worker_heartbeat_record(worker="w1@host")
    OutboxMessage.objects.create(task_name="annotations.process_article", args=[1])
    ArticleFactory(project=project, processing_state=ProcessingState.PENDING)
    ArticleFactory(project=project, processing_state=ProcessingState.PROCESSED)

    status, report, _ = _health(client)  # no login

    assert status == 200, report
    assert report["status"] == "up" and report["down"] == []
    assert set(report["checks"]) == PARTS
    assert all(check["up"] for check in report["checks"].values())
    worker = report["checks"]["worker"]
    assert worker["workers"] == 1 and 0 <= worker["last_heartbeat_age_s"] < 5
    assert report["checks"]["outbox"]["unsent"] == 1
    assert report["checks"]["articles"]["pending"] == 1
    assert report["checks"]["articles"]["processing"] == 0


@pytest.mark.django_db
def test_health_answers_head_and_refuses_post(client: Client) -> None:
    worker_heartbeat_record(worker="w1@host")
    head = client.head(reverse("health"))
    assert head.status_code == 200 and head["Content-Type"] == "application/json"
    assert "no-cache" in head["Cache-Control"]
    assert client.post(reverse("health")).status_code == 405


@pytest.mark.django_db
def test_health_is_503_naming_the_broker_when_nobody_listens(client: Client) -> None:
    worker_heartbeat_record(worker="w1@host")
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0", queue="health-nowhere"):
        status, report, _ = _health(client)
    assert status == 503
    assert report["status"] == "down" and report["down"] == ["broker"]
    assert report["checks"]["broker"]["up"] is False
    assert report["checks"]["database"]["up"] is True


@pytest.mark.faults
@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_hung_broker_is_reported_down_within_its_timeout(client: Client, tmp_path: Path) -> None:
    worker_heartbeat_record(worker="w1@host")
    server = RedisServer(tmp_path / "redis.log")
    server.start()
    try:
        with publishing_to(server.url, queue="health-hung"):
            assert _health(client)[0] == 200
            server.freeze()  # the port still accepts connections; nothing answers
            started = time.monotonic()
            status, report, _ = _health(client)
            elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert status == 503 and report["down"] == ["broker"]
    assert elapsed < 3 * health.BROKER_TIMEOUT_S, elapsed


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        f"redis://claimtrack:{SECRET}@127.0.0.1:{{port}}/0",
        f"amqp://claimtrack:{SECRET}@127.0.0.1:{{port}}//",
    ],
)
def test_health_never_shows_the_broker_address_or_password(client: Client, url: str) -> None:
    with publishing_to(url.format(port=free_port()), queue="health-secret"):
        status, report, body = _health(client)
    assert status == 503 and "broker" in report["down"]
    assert SECRET not in body
    assert "claimtrack:" not in body and "127.0.0.1" not in body


@pytest.mark.django_db
@override_settings(CLAIMTRACK_HEARTBEAT_MAX_AGE_S=30)
def test_health_is_503_naming_the_worker_when_its_heartbeat_is_stale(client: Client) -> None:
    worker_heartbeat_record(worker="w1@host")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=90))

    status, report, _ = _health(client)

    assert status == 503 and report["down"] == ["worker"]
    worker = report["checks"]["worker"]
    assert worker["max_age_s"] == 30
    assert 85 < worker["last_heartbeat_age_s"] < 100
    assert worker["workers"] == 0


@pytest.mark.django_db
def test_health_is_503_when_no_worker_ever_beat(client: Client) -> None:
    # A worker of the test session may have beaten into the same database; this test's
    # transaction, rolled back at its end, sees none.
    WorkerHeartbeat.objects.all().delete()
    status, report, _ = _health(client)
    assert status == 503 and report["down"] == ["worker"]
    assert report["checks"]["worker"]["last_heartbeat_age_s"] is None


@pytest.mark.django_db
def test_a_database_error_downs_every_part_that_reads_it_without_its_message(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused() -> dict[str, Any]:
        raise OperationalError('connection to server at "db.internal" (10.1.2.3) failed')

    monkeypatch.setattr(health, "_database", refused)
    status, report, body = _health(client)
    assert status == 503
    assert report["down"] == ["database", "worker", "outbox", "articles"]
    assert report["checks"]["database"]["error"] == "OperationalError"
    assert "10.1.2.3" not in body and "db.internal" not in body


@pytest.mark.django_db(transaction=True)
@override_settings(CLAIMTRACK_HEARTBEAT_MAX_AGE_S=40)
def test_a_worker_writes_its_heartbeat_a_few_times_per_max_age(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health, "_last_written", float("-inf"))
    assert worker_heartbeat_beat(worker="w1@host") is True
    first = WorkerHeartbeat.objects.get(worker="w1@host").seen_at
    assert worker_heartbeat_beat(worker="w1@host") is False  # within 40 / 4 s of the last

    monkeypatch.setattr(health, "_last_written", time.monotonic() - 11)
    assert worker_heartbeat_beat(worker="w1@host") is True
    assert WorkerHeartbeat.objects.get(worker="w1@host").seen_at > first
    # A worker of the test session may beat into the same database meanwhile.
    assert WorkerHeartbeat.objects.filter(worker="w1@host").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_the_database_refuses_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(*, worker: str) -> None:
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(health, "_last_written", float("-inf"))
    monkeypatch.setattr(health, "worker_heartbeat_record", refused)
    assert worker_heartbeat_beat(worker="w1@host") is False


@pytest.mark.worker
def test_a_running_worker_keeps_the_health_page_up(worker: Any, client: Client) -> None:
    """The session's real worker writes its heartbeat from Celery's own (config.celery)."""
    wait_for(lambda: WorkerHeartbeat.objects.exists(), timeout=90)
    status, report, _ = _health(client)
    assert status == 200, report
    assert report["checks"]["worker"]["workers"] >= 1


@pytest.mark.django_db
def test_production_serves_health_over_plain_http_where_other_pages_redirect() -> None:
    probe = (
        "from django.test import Client; c = Client(); "
        "print(c.get('/health/').status_code, c.get('/accounts/login/').status_code)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", probe],
        cwd=BASE_DIR,
        env=worker_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_SECRET_KEY="x" * 60,
            DJANGO_ALLOWED_HOSTS="testserver",
            DATABASE_URL=database_url_for_tests(),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    health_status, login_status = map(int, result.stdout.split()[-2:])
    assert login_status == 301  # the redirect to HTTPS is on
    assert health_status in (200, 503)  # answered, not redirected
