"""Measurement 4: the annotation API under 20 concurrent clients, over loopback.

A real server process (gunicorn, gthread workers, DEBUG off) serves the bench database on a
free port of 127.0.0.1; locust runs headless in its own process (gevent must not share a
process with Django). Each client is a signed-in editor: it creates mentions (POST to the
API's annotation endpoint) and reads articles with their highlights (the reader page, and the
article's annotations in the API), with a think time between requests. No Celery worker runs:
the matching each mention queues is left in the broker, so the web tier is what is measured.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils.crypto import get_random_string

from annotations.models import Project
from benchmarks.sampling import percentile, random_passages

logger = logging.getLogger("benchmarks")

BASE_DIR = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# gunicorn: 3 processes x 4 threads for 2 cores; requests mostly wait on PostgreSQL.
SERVER_WORKERS, SERVER_THREADS = 3, 4
THINK_TIME_S = (0.2, 1.0)  # an editor reads, selects, types: never a closed loop of requests
WEIGHTS = {"create": 2, "read": 2, "read_api": 1}
SPANS = 2000  # candidate spans to mark, drawn at random from the project's passages
_PK = 987654321  # placeholder pk to turn reversed URLs into templates


@dataclass
class Endpoints:
    create_url: str
    create_json: bool
    read_url: str
    read_api_url: str
    note: str


def endpoints() -> Endpoints:
    """The API's annotation endpoint if it exists, else the reader's mark-claim view."""

    def template(name: str, **kwargs: int) -> str:
        return reverse(name, kwargs=kwargs).replace(str(_PK), "{article}")

    read = template("article-read", pk=_PK)
    try:
        read_api = template("api:article-annotations", pk=_PK)
    except NoReverseMatch:
        read_api = ""
    try:
        return Endpoints(reverse("api:annotation-list"), True, read, read_api, "REST API")
    except NoReverseMatch:
        create = template("mention-create", pk=_PK)
        note = "no API annotation endpoint: the browser views were measured"
        return Endpoints(create, False, read, read_api, note)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sessions(users: list[User]) -> list[str]:
    """A signed-in session per editor, made the way the test client logs in."""
    keys = []
    for user in users:
        client = Client()
        client.force_login(user)
        keys.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return keys


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


# This measurement's gunicorn: threaded workers; the editors' workload runs the README's.
GTHREAD_ARGS = [
    "--workers", str(SERVER_WORKERS), "--worker-class", "gthread",
    "--threads", str(SERVER_THREADS),
]  # fmt: skip


def start_server(port: int, log: Path, worker_args: list[str]) -> subprocess.Popen[bytes]:
    """gunicorn on 127.0.0.1:`port` with `worker_args`; returns once it answers a page."""
    cmd = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", *worker_args,
        "--timeout", "120", "--log-level", "warning",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=BASE_DIR, env=server_env(), stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5):
                return proc
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise RuntimeError(f"gunicorn did not answer in 90 s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _warm_up(port: int, config: dict[str, Any]) -> None:
    """A few requests of each kind first, so that every gunicorn worker has imported its views
    and templates before the clock runs (cold workers would dominate a short run's p95)."""
    base = f"http://127.0.0.1:{port}"
    headers = {
        "Cookie": f"sessionid={config['sessions'][0]}; csrftoken={config['csrf']}",
        "X-CSRFToken": config["csrf"],
    }
    for i in range(3 * SERVER_WORKERS):
        article = config["spans"][i % len(config["spans"])][0]
        for url in (config["read_url"], config["read_api_url"]):
            if url:
                request = urllib.request.Request(
                    base + url.format(article=article), headers=headers
                )
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()


def run_locust(
    port: int,
    config: dict[str, Any],
    seconds: int,
    users: int,
    work: Path,
    locustfile: Path = LOCUSTFILE,
) -> Any:
    """locust headless with `users` clients for at most `seconds`; returns what its
    locustfile wrote to BENCH_LOCUST_OUT."""
    config_path, out_path = work / "locust-config.json", work / "locust-results.json"
    config_path.write_text(json.dumps(config))
    out_path.unlink(missing_ok=True)
    env = dict(os.environ, BENCH_LOCUST_CONFIG=str(config_path), BENCH_LOCUST_OUT=str(out_path))
    cmd = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
        "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
        "--host", f"http://127.0.0.1:{port}", "--only-summary", "--loglevel", "WARNING",
        "--stop-timeout", "15",
    ]  # fmt: skip
    log = work / "locust.log"
    with open(log, "wb") as out:
        subprocess.run(
            cmd, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if not out_path.exists():
        raise RuntimeError(f"locust wrote no results:\n{log.read_text()[-3000:]}")
    return json.loads(out_path.read_text())


def _summary(results: list, seconds: int) -> dict[str, Any]:
    by_name: dict[str, list[tuple[float, str | None]]] = {}
    for name, ms, error in results:
        by_name.setdefault(name, []).append((ms, error))
    out: dict[str, Any] = {}
    for name, rows in sorted(by_name.items()):
        times = [ms for ms, _ in rows]
        errors = [e for _, e in rows if e is not None]
        out[name] = {
            "requests": len(rows),
            "errors": len(errors),
            "error_samples": sorted(set(errors))[:3],
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "p99_ms": round(percentile(times, 99), 1),
        }
    out["requests_per_s"] = round(len(results) / seconds, 1)
    return out


def measure_api(
    *, project: Project, editors: list[User], seconds: int, users: int
) -> dict[str, Any]:
    urls = endpoints()
    config = {
        "sessions": _sessions(editors),
        "csrf": get_random_string(32),
        "spans": random_passages(project, SPANS, random.Random(11)),
        "create_url": urls.create_url,
        "create_json": urls.create_json,
        "read_url": urls.read_url,
        "read_api_url": urls.read_api_url,
        "think_time_s": list(THINK_TIME_S),
        "weights": {**WEIGHTS, "read_api": WEIGHTS["read_api"] if urls.read_api_url else 0},
    }
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="claimtrack-bench-api-") as tmp:
        work = Path(tmp)
        server = start_server(port, work / "server.log", GTHREAD_ARGS)
        try:
            _warm_up(port, config)
            logger.info("API load: %d clients for %d s on port %d", users, seconds, port)
            results = run_locust(port, config, seconds, users, work)
        finally:
            stop(server)
    summary = _summary(results, seconds)
    named = {k: v for k, v in summary.items() if isinstance(v, dict)}
    return {
        "api_p95_ms": max((v["p95_ms"] for v in named.values()), default=None),
        "api_errors": sum(v["errors"] for v in named.values()),
        "api_requests": sum(v["requests"] for v in named.values()),
        "api_detail": summary,
        "api_setup": {
            "clients": users,
            "seconds": seconds,
            "think_time_s": list(THINK_TIME_S),
            "server": f"gunicorn gthread {SERVER_WORKERS} workers x {SERVER_THREADS} threads",
            "endpoints": {
                "create mention": f"POST {urls.create_url}",
                "read article": f"GET {urls.read_url}",
                "read highlights (API)": f"GET {urls.read_api_url}" if urls.read_api_url else None,
            },
            "note": urls.note,
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
    }
