"""Log lines an operator can read: time, level, logger and the request or task id on every line
(text or JSON), and errors to Sentry only when SENTRY_DSN is set."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.urls import path
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from annotations.services.articles import TASK_PROCESS_ARTICLE
from annotations.tasks import process_article
from common.logs import JsonFormatter
from config.sentry import sentry_init
from tests.conftest import wait_for
from tests.faults.support import Worker, free_port, unique_name

BASE_DIR = Path(__file__).resolve().parent.parent
TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
VIEW_MESSAGE = "Reading the claim table."
# An article id no row has: the task logs that and returns.
MISSING_ARTICLE = 0


def _logging_view(request: HttpRequest) -> HttpResponse:
    logging.getLogger("claims.views").warning(VIEW_MESSAGE)
    return HttpResponse("ok")


urlpatterns = [path("logged/", _logging_view)]


@contextlib.contextmanager
def console_lines(formatter: logging.Formatter | None = None) -> Iterator[io.StringIO]:
    """What the configured console handler writes, with its own filters and formatter (or the
    given one), at INFO and above."""
    root = logging.getLogger()
    console = next(h for h in root.handlers if h.get_name() == "console")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter or console.formatter)
    for log_filter in console.filters:
        handler.addFilter(log_filter)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def logged_view(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__


def test_a_requests_log_lines_carry_the_id_its_response_shows(client, logged_view) -> None:
    with console_lines() as out:
        response = client.get("/logged/")
        missing = client.get("/missing/")
    request_id = response["X-Request-ID"]
    assert GENERATED_ID.fullmatch(request_id)
    assert missing["X-Request-ID"] != request_id
    lines = out.getvalue().splitlines()
    view_line = rf"{TIMESTAMP} WARNING claims\.views \[request={request_id}\] {VIEW_MESSAGE}"
    assert any(re.fullmatch(view_line, line) for line in lines), lines
    # django.request logs the 404 after the middleware has returned: the id still comes along.
    not_found = rf"{TIMESTAMP} WARNING django\.request \[request={missing['X-Request-ID']}\] Not Found: /missing/"
    assert any(re.fullmatch(not_found, line) for line in lines), lines


def test_a_sane_incoming_request_id_is_kept(client, logged_view) -> None:
    with console_lines() as out:
        response = client.get("/logged/", HTTP_X_REQUEST_ID="lb-7f3a.42:9")
    assert response["X-Request-ID"] == "lb-7f3a.42:9"
    assert f"[request=lb-7f3a.42:9] {VIEW_MESSAGE}" in out.getvalue()


@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 129,
        "abc\n2030-01-01 00:00:00,000 ERROR claims.views [request=x] Forged line",
        "<script>alert(1)</script>",
        "id with spaces",
        "",
    ],
)
def test_a_hostile_incoming_request_id_is_replaced(client, logged_view, hostile: str) -> None:
    with console_lines() as out:
        response = client.get("/missing/", HTTP_X_REQUEST_ID=hostile)
    request_id = response["X-Request-ID"]
    assert GENERATED_ID.fullmatch(request_id)
    text = out.getvalue()
    assert f"[request={request_id}] Not Found: /missing/" in text
    assert "Forged" not in text and "<script>" not in text and "a" * 129 not in text


def test_json_lines_parse_with_time_level_logger_and_request_id(client, logged_view) -> None:
    with console_lines(JsonFormatter()) as out:
        response = client.get("/logged/")
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    record = next(r for r in records if r["message"] == VIEW_MESSAGE)
    assert record["level"] == "WARNING"
    assert record["logger"] == "claims.views"
    assert record["request_id"] == response["X-Request-ID"]
    assert record["task_id"] is None
    assert datetime.fromisoformat(record["timestamp"]).utcoffset() is not None


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    environment.pop("SENTRY_DSN", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


_LOG_ONE_LINE = (
    "import django, logging; django.setup(); "
    "logging.getLogger('claims.views').warning('Reading the claim table.')"
)


def test_claimtrack_log_format_json_makes_the_settings_write_json() -> None:
    result = _run_python(_LOG_ONE_LINE, CLAIMTRACK_LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert (record["level"], record["logger"], record["message"]) == (
        "WARNING",
        "claims.views",
        VIEW_MESSAGE,
    )
    assert {"timestamp", "request_id", "task_id"} <= record.keys()


def test_an_unknown_log_format_is_refused() -> None:
    result = _run_python(_LOG_ONE_LINE, CLAIMTRACK_LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "CLAIMTRACK_LOG_FORMAT must be text or json" in result.stderr


@pytest.mark.django_db
def test_a_tasks_log_lines_carry_its_task_id() -> None:
    with console_lines() as out:
        result = process_article.apply(args=[MISSING_ARTICLE])
        logging.getLogger("claims.views").warning("After the task.")
    assert result.successful()
    lines = out.getvalue().splitlines()
    task_line = (
        rf"{TIMESTAMP} INFO annotations\.services\.processing \[task={result.id}\] "
        rf"Article {MISSING_ARTICLE} no longer exists; nothing to process\."
    )
    assert any(re.fullmatch(task_line, line) for line in lines), lines
    # task_postrun forgets the id: later lines of the process do not claim the task.
    assert any(
        re.fullmatch(rf"{TIMESTAMP} WARNING claims\.views \[-\] After the task\.", line)
        for line in lines
    ), lines


@pytest.mark.worker
def test_a_workers_lines_are_json_with_the_task_id(
    transactional_db: None, django_db_blocker: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """A real worker: Celery does not swap the root handler for its own format, and -l info
    still shows task lines although the test settings log WARNING and above."""
    monkeypatch.setenv("CLAIMTRACK_LOG_FORMAT", "json")
    queue = unique_name("logs")
    from django.conf import settings

    with django_db_blocker.unblock():
        worker = Worker(
            "logs", broker_url=settings.CELERY_BROKER_URL, queue=queue, log_dir=tmp_path
        )
    try:
        worker.wait_ready()
        result = process_article.apply_async(args=[MISSING_ARTICLE], queue=queue)
        wait_for(lambda: result.id in worker.task_ids(TASK_PROCESS_ARTICLE, "succeeded"))
    finally:
        worker.stop()
    log = worker.log()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    task_record = next(
        r for r in records if r["message"].startswith(f"Article {MISSING_ARTICLE} no longer")
    )
    assert task_record["task_id"] == result.id
    assert task_record["level"] == "INFO"
    assert task_record["logger"] == "annotations.services.processing"
    assert any(r["message"].endswith(" ready.") for r in records)
    # Celery's own format ("[time: LEVEL/Process] message") would mean it took the root logger.
    assert not re.search(r"^\[\d{4}-\d\d-\d\d [^]]*: [A-Z]+/", log, re.MULTILINE), log


def test_sentry_starts_with_both_integrations_only_with_a_dsn(monkeypatch: Any) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))

    assert sentry_init(dsn="") is False
    assert calls == []

    assert sentry_init(dsn="http://public@127.0.0.1:9/1") is True
    (options,) = calls
    assert options["dsn"] == "http://public@127.0.0.1:9/1"
    assert options["send_default_pii"] is False
    kinds = {type(integration) for integration in options["integrations"]}
    assert kinds == {DjangoIntegration, CeleryIntegration}


_SENTRY_STATE = """
import json, time, django
django.setup()
import sentry_sdk
client = sentry_sdk.get_client()
start = time.monotonic()
sentry_sdk.capture_message("Sentry test event")
print(json.dumps({
    "active": client.is_active(),
    "integrations": sorted(client.integrations),
    "pii": client.options["send_default_pii"],
    "capture_s": time.monotonic() - start,
}))
"""


def test_the_settings_start_sentry_from_sentry_dsn_without_waiting_on_it() -> None:
    closed = f"http://public@127.0.0.1:{free_port()}/1"
    on = _run_python(_SENTRY_STATE, SENTRY_DSN=closed)
    off = _run_python(_SENTRY_STATE)
    assert on.returncode == 0, on.stderr
    assert off.returncode == 0, off.stderr
    started = json.loads(on.stdout.strip().splitlines()[-1])
    assert started["active"] is True
    assert {"django", "celery"} <= set(started["integrations"])
    assert started["pii"] is False
    # An unreachable Sentry costs the caller nothing: events go out on a background thread.
    assert started["capture_s"] < 1
    assert json.loads(off.stdout.strip().splitlines()[-1])["active"] is False
