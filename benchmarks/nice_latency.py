"""Latency of a simple API read while a worker embeds and matches on the same cores, with the
worker's pool processes at the web's priority and CLAIMTRACK_WORKER_NICE steps below it.

    .venv/bin/python -m benchmarks.nice_latency [--seconds 20] [--clients 4] [--phases ...]

A throwaway database (benchmarks.database) gets a project, one processed article, claims to
match and a user with an API token. gunicorn (2 workers) serves `GET /api/articles/<id>/` to
`--clients` threads for `--seconds` per phase. Phases (default `web 0 10 0 10`): `web` with no
worker running; a number N: a real Celery worker (`-c 2`, prefork) started with
CLAIMTRACK_WORKER_NICE=N and fed articles to process and match, measured once it is busy;
`idle`: the same at N=0 with the pool processes moved to SCHED_IDLE by this script (a class
below every niceness). Run it at the priority the web runs at: a niceness already at 19 leaves
no room below it (the script says so). Prints a line per phase and, last, JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ARTICLES_PER_PHASE = 150
START_TIMEOUT_S = 120
# A loaded machine may take minutes to give a new worker's first article its model time.
BUSY_TIMEOUT_S = 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--phases", nargs="+", default=["web", "0", "10", "0", "10"])
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    if args.inner:
        import django

        django.setup()
        print(json.dumps(_measure(args.seconds, args.clients, args.phases)))
        return
    import django

    django.setup()
    from django.db import connection

    from benchmarks.database import bench_database_name, create_database, drop_database

    name = bench_database_name()
    url = create_database(name)
    connection.close()
    broker = tempfile.mkdtemp(prefix="claimtrack-nice-broker-")
    env = dict(os.environ, DATABASE_URL=url, DJANGO_DEBUG="false", CLAIMTRACK_BROKER_DIR=broker)
    try:
        subprocess.run(
            [sys.executable, "-m", "benchmarks.nice_latency", "--inner", *sys.argv[1:]],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
    finally:
        drop_database(name)
        shutil.rmtree(broker, ignore_errors=True)


def _measure(seconds: float, clients: int, phases: list[str]) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    article_id, token = _setup()
    base = os.nice(0)
    print(f"running at niceness {base}")
    port = _free_port()
    web = _start(
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        "Booting worker",
    )
    url = f"http://127.0.0.1:{port}/api/articles/{article_id}/"
    results = []
    try:
        _wait_serving(url, token)
        for phase in phases:
            results.append(_phase(phase, base, url, token, seconds, clients))
            r = results[-1]
            print(
                f"{phase:>4}: {r['requests_per_s']:.1f} req/s, p50 {r['p50_ms']:.0f} ms, "
                f"p95 {r['p95_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms; worker at niceness "
                f"{r['pool_niceness']}, {r['articles_processed']} articles processed"
            )
    finally:
        _stop(web)
    return {"base_niceness": base, "clients": clients, "seconds": seconds, "phases": results}


def _setup() -> tuple[int, str]:
    """The project, its user and token, the article read, and claims for the matching work."""
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from annotations.services import article_create, article_process, project_create
    from benchmarks.corpus import NewsWriter
    from claims.services import claim_create

    user = get_user_model().objects.create_user("bench-nice", password=None)
    project = project_create(name="Nice latency bench", owner=user)
    writer = NewsWriter(seed=5)
    article = article_create(project=project, text=writer.article().text, outlet="Bench")
    article_process(article_id=article.pk)
    for _ in range(40):
        claim_create(project=project, statement=writer.sentence().text)
    _, token = AuthToken.objects.create(user=user)
    return article.pk, token


def _phase(
    phase: str, base: int, url: str, token: str, seconds: float, clients: int
) -> dict[str, Any]:
    from annotations.models import Article, ProcessingState
    from benchmarks.sampling import percentile

    worker = None
    if phase != "web":
        worker = _start_worker(0 if phase == "idle" else int(phase))
    try:
        pool_niceness: int | str = base
        if worker is not None:
            ids = _feed(ARTICLES_PER_PHASE)
            _wait_busy(ids)
            children = _children(worker.pid)
            if phase == "idle":
                for pid in children:
                    os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
                pool_niceness = "SCHED_IDLE"
            else:
                pool_niceness = min(os.getpriority(os.PRIO_PROCESS, pid) for pid in children)
                if base + int(phase) > 19:
                    print(f"  (niceness {base} + {phase} is capped at 19)")
        before = Article.objects.filter(processing_state=ProcessingState.PROCESSED).count()
        latencies, errors = _load(url, token, seconds, clients)
        after = Article.objects.filter(processing_state=ProcessingState.PROCESSED).count()
    finally:
        if worker is not None:
            _stop(worker)
            _drain()
    ms = sorted(latencies)
    return {
        "phase": phase,
        "pool_niceness": pool_niceness,
        "requests": len(ms),
        "errors": errors,
        "requests_per_s": round(len(ms) / seconds, 1),
        "p50_ms": round(percentile(ms, 50), 1) if ms else 0.0,
        "p95_ms": round(percentile(ms, 95), 1) if ms else 0.0,
        "p99_ms": round(percentile(ms, 99), 1) if ms else 0.0,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else 0.0,
        "articles_processed": after - before,
    }


def _start_worker(nice: int) -> subprocess.Popen[bytes]:
    env = {"CLAIMTRACK_WORKER_NICE": str(nice)}
    command = [str(VENV_BIN / "celery"), "-A", "config", "worker", "-c", "2", "-P", "prefork"]
    command += ["--without-gossip", "--without-mingle", "-l", "info"]
    return _start(command, " ready.", env)


def _feed(count: int) -> list[int]:
    """Articles for the worker: processing (the model) and matching against the claims."""
    from annotations.models import Project
    from annotations.services import article_create
    from benchmarks.corpus import NewsWriter

    project = Project.objects.get(slug="nice-latency-bench")
    writer = NewsWriter(seed=int(time.time()))
    return [
        article_create(project=project, text=writer.article().text, outlet="Bench").pk
        for _ in range(count)
    ]


def _wait_busy(ids: list[int]) -> None:
    from annotations.models import Article, ProcessingState

    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while time.monotonic() < deadline:
        done = Article.objects.filter(pk__in=ids, processing_state=ProcessingState.PROCESSED)
        if done.exists():  # the model is loaded and embedding
            return
        time.sleep(0.5)
    raise RuntimeError("the worker processed nothing")


def _drain() -> None:
    """Work left from a phase is deleted so the next phase's worker starts on its own."""
    from django.conf import settings

    from annotations.models import Article, ProcessingState

    Article.objects.exclude(processing_state=ProcessingState.PROCESSED).delete()
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out"):
        for path in Path(str(options[key])).glob("*"):
            path.unlink(missing_ok=True)


def _load(url: str, token: str, seconds: float, clients: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except OSError:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def _wait_serving(url: str, token: str) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn does not answer {url}")


def _start(command: list[str], ready: str, env: dict[str, str] | None = None) -> Any:
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the process's log, kept for reading
        prefix="claimtrack-nice-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=dict(os.environ, **(env or {})),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None or ready in Path(log.name).read_text(errors="replace"):
            break
        time.sleep(0.2)
    if proc.poll() is not None:
        raise RuntimeError(f"{command[0]} exited: {Path(log.name).read_text(errors='replace')}")
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
