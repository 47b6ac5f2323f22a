"""One request at a time through the web tier: what each of the editors' requests costs alone.

`python -m benchmarks.request_path [--runs 10] [--http]` creates a throwaway database
(`claimtrack_bench_<pid>`, dropped at the end), builds a project with a 5,000-word article
carrying 200 marks, and times, with nothing else running:

- the reader page of that article, and its marks fragment (swapped in after a save);
- the API's article (with its text) and its annotations (a W3C collection);
- accepting a plain-text article of ~800 words (`POST /api/articles/`);
- saving a span as a new claim, and as a mention of an existing claim (`POST /api/annotations/`).

Each request runs twice to warm up, then `--runs` times (its median, min and max), in-process
through Django's test Client; `--http` times the same over loopback against gunicorn. One more
run per request counts its queries and their SQL time. The last line printed is JSON.
No worker runs: the tasks the writes queue stay in the broker folder, dropped with the run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
WARM_UP = 2


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="Timed runs per request.")
    parser.add_argument("--http", action="store_true", help="Also time over HTTP (gunicorn).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


# --- the parent: a throwaway database around a child process ------------------------------


def _run_outer(argv: list[str]) -> int:
    from django.db import connection

    from benchmarks.database import bench_database_name, create_database, drop_database

    name = bench_database_name()
    url = create_database(name)
    connection.close()
    broker = Path(tempfile.mkdtemp(prefix="claimtrack-bench-broker-"))
    env = dict(os.environ, DATABASE_URL=url, CLAIMTRACK_BROKER_DIR=str(broker))
    if env.get("DJANGO_SETTINGS_MODULE", "") in ("", "config.settings.test"):
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    env["DJANGO_DEBUG"] = "false"  # DEBUG keeps every query in memory and slows each one
    try:
        cmd = [sys.executable, "-m", "benchmarks.request_path", "--inner", *argv]
        return subprocess.run(cmd, cwd=BASE_DIR, env=env, check=False).returncode
    finally:
        drop_database(name)
        shutil.rmtree(broker, ignore_errors=True)


# --- the child: timing ---------------------------------------------------------------------

Call = Callable[[int], int]  # run number -> HTTP status


def _timed(call: Call, runs: int, expect: int, counted: Call | None = None) -> dict[str, Any]:
    """Median, min and max of `runs` calls after WARM_UP; then one counted run (queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(WARM_UP):
        _check(call(i), expect)
    times, cpu = [], []
    for i in range(WARM_UP, WARM_UP + runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        status = call(i)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        _check(status, expect)
    result: dict[str, Any] = {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
    }
    if counted is not None:  # in-process: this process's CPU is the request's Python
        result["cpu_median_ms"] = round(statistics.median(cpu), 1)
        with CaptureQueriesContext(connection) as ctx:
            _check(counted(WARM_UP + runs), expect)
        result["queries"] = len(ctx.captured_queries)
        result["sql_ms"] = round(sum(float(q["time"]) for q in ctx.captured_queries) * 1000, 1)
    return result


def _check(status: int, expect: int) -> None:
    if status != expect:
        raise RuntimeError(f"a request answered {status}, not {expect}")


def _client_calls(fixture: Any) -> dict[str, tuple[Call, int]]:
    """Each measured request as a call through the test Client (in-process)."""
    from django.test import Client

    client = Client(HTTP_HOST="localhost")  # a host the local settings allow
    client.force_login(fixture.editor)
    return {name: (_in_process(client, request), code) for name, (request, code) in
            fixture.requests().items()}  # fmt: skip


def _in_process(client: Any, request: Callable[[int], tuple[str, str, Any]]) -> Call:
    def call(i: int) -> int:
        method, url, body = request(i)
        if method == "GET":
            return int(client.get(url).status_code)
        return int(client.post(url, body, content_type="application/json").status_code)

    return call


def _http_calls(fixture: Any, base: str) -> dict[str, tuple[Call, int]]:
    """The same requests over loopback, as a signed-in editor with a CSRF cookie and header."""
    from django.utils.crypto import get_random_string

    from benchmarks.api_load import _sessions

    csrf = get_random_string(32)
    headers = {"Cookie": f"sessionid={_sessions([fixture.editor])[0]}; csrftoken={csrf}",
               "X-CSRFToken": csrf, "Content-Type": "application/json"}  # fmt: skip

    def over_http(request: Callable[[int], tuple[str, str, Any]]) -> Call:
        def call(i: int) -> int:
            method, url, body = request(i)
            data = None if method == "GET" else json.dumps(body).encode()
            req = urllib.request.Request(base + url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(req, timeout=60) as response:
                    response.read()
                    return int(response.status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)

        return call

    return {name: (over_http(request), code) for name, (request, code) in
            fixture.requests(offset=1000).items()}  # fmt: skip


def _run_inner(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    from benchmarks import api_load
    from benchmarks.request_fixture import RequestFixture

    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per session made
    call_command("migrate", verbosity=0, interactive=False)
    fixture = RequestFixture.build(seed=args.seed)
    calls = _client_calls(fixture)
    result: dict[str, Any] = {"article": fixture.describe(), "runs": args.runs}
    result["in_process"] = {
        name: _timed(call, args.runs, code, counted=call) for name, (call, code) in calls.items()
    }
    if args.http:
        port = api_load.free_port()
        with tempfile.TemporaryDirectory(prefix="claimtrack-bench-http-") as tmp:
            server = api_load.start_server(port, Path(tmp) / "server.log", api_load.GTHREAD_ARGS)
            try:
                http = _http_calls(fixture, f"http://127.0.0.1:{port}")
                result["http"] = {
                    name: _timed(call, args.runs, code) for name, (call, code) in http.items()
                }
            finally:
                api_load.stop(server)
        result["http_server"] = (
            f"gunicorn gthread {api_load.SERVER_WORKERS} workers x {api_load.SERVER_THREADS}"
        )
    return result


def main() -> None:
    args = _parse()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    if not args.inner:
        sys.exit(_run_outer(sys.argv[1:]))
    result = _run_inner(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
