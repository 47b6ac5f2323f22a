"""Smoke test of `manage.py bench --workload editors` at a tiny scale: gunicorn, a Celery
worker and locust run for real; the last line is JSON with every key the issue names, the
counts asked for, no error and nothing lost, and the bench database is gone afterwards.

Timings are never asserted: they depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.worker  # it starts a real worker (and gunicorn) as subprocesses

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ARTICLES, SPAN_WRITES, VIEWS = 10, 20, 20
REQUIRED_KEYS = {
    "span_writes_per_s",
    "span_write_p50_ms",
    "span_write_p95_ms",
    "span_write_p99_ms",
    "views_per_s",
    "view_p95_ms",
    "view_p99_ms",
    "api_view_p95_ms",
    "import_accepted_per_s",
    "import_p95_ms",
    "bulk_accepted_per_s",
    "bulk_via",
    "all_processed_s",
    "long_article_median_ms",
    "long_article_loaded_p95_ms",
    "export_s",
    "worker_rss_mib",
    "web_rss_mib",
    "errors",
    "lost",
}


@pytest.fixture(scope="module")
def editors_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[str], int]:
    out = tmp_path_factory.mktemp("bench-editors")
    command = ["manage.py", "bench", "--workload", "editors", "--out", str(out)]
    command += ["--articles", str(ARTICLES), "--span-writes", str(SPAN_WRITES)]
    command += ["--views", str(VIEWS), "--process-timeout", "600"]
    proc = subprocess.Popen(
        [sys.executable, *command],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.communicate(timeout=1500)
    assert proc.returncode == 0, stderr[-4000:]
    lines = stdout.strip().splitlines()
    return json.loads(lines[-1]), lines[:-1], proc.pid


def test_editors_workload_prints_every_key_as_json_on_its_last_line(editors_run: tuple) -> None:
    result, readable, _ = editors_run
    assert result.keys() >= REQUIRED_KEYS
    assert result["workload"] == "editors"
    assert any(line.startswith("span writes:") for line in readable)


def test_editors_workload_does_what_was_asked_without_error_or_loss(editors_run: tuple) -> None:
    result, _, _ = editors_run
    assert result["errors"] == 0, result["detail"]
    assert result["lost"] == 0, result["detail"]["lost_by_kind"]
    assert result["import_requests"] == ARTICLES
    assert result["span_writes"] == SPAN_WRITES
    assert result["views"] == VIEWS and result["api_views"] == VIEWS
    assert result["bulk_loaded"] == ARTICLES
    assert result["bulk_via"] in ("api", "load_articles")
    # half the span writes mark a new claim, half attach an existing one
    names = result["detail"]["phases"]["spans"]["names"]
    assert names["span write (new claim)"]["requests"] == SPAN_WRITES // 2
    assert names["span write (existing claim)"]["requests"] == SPAN_WRITES // 2


def test_editors_workload_figures_are_sane(editors_run: tuple) -> None:
    result, _, _ = editors_run
    for key in ("span_writes_per_s", "views_per_s", "import_accepted_per_s"):
        assert result[key] > 0, key
    assert 0 < result["span_write_p50_ms"] <= result["span_write_p95_ms"]
    assert result["span_write_p95_ms"] <= result["span_write_p99_ms"]
    assert result["all_processed_s"] is not None  # every article was processed and matched
    assert result["long_article_median_ms"] > 0 and result["long_article_loaded_p95_ms"] > 0
    # the export holds the long article's claims and the new claims of the span writes
    assert result["export_rows"] >= SPAN_WRITES // 2
    assert result["worker_rss_mib"] > 0 and result["web_rss_mib"] > 0
    assert result["targets"]["errors == 0"] is True


@pytest.mark.django_db
def test_editors_workload_drops_its_database(editors_run: tuple) -> None:
    _, _, pid = editors_run
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"claimtrack_bench_{pid}"])
        assert cursor.fetchone() is None
