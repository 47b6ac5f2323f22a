"""The processes the editors' workload measures, started as the README's production section
runs them: gunicorn (`--workers 5`, its default sync workers) and a Celery worker
(`celery -A config worker --concurrency 2`), both against the bench database and broker.

Also what is read from outside them: resident memory (a process and its children), the
broker's queue length, and real sign-ins over HTTP (the login form with its CSRF token for the
pages, `POST /api/auth/token/` for the API).
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from benchmarks.api_load import BASE_DIR, server_env, start_server, stop

logger = logging.getLogger("benchmarks")

WEB_WORKERS = 5  # the side-by-side setup: gunicorn 5 workers on two cores
WORKER_CONCURRENCY = 2
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Stack:
    """The running web and worker processes and where they log."""

    port: int
    web: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mib(self) -> dict[str, float]:
        return {"web": rss_mib(self.web.pid), "worker": rss_mib(self.worker.pid)}

    def check_alive(self) -> None:
        for name, proc in (("gunicorn", self.web), ("celery worker", self.worker)):
            if proc.poll() is not None:
                tail = self.logs[name].read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the {name} exited ({proc.returncode}):\n{tail}")


def start(port: int, work: Path) -> Stack:
    """Start the worker first (it sends what the outbox holds when ready), then the web."""
    logs = {"celery worker": work / "worker.log", "gunicorn": work / "web.log"}
    cmd = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning",
        "--concurrency", str(WORKER_CONCURRENCY), "-n", f"bench-{port}@%h",
    ]  # fmt: skip
    with open(logs["celery worker"], "wb") as out:
        worker = subprocess.Popen(
            cmd, cwd=BASE_DIR, env=server_env(), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        web = start_server(port, logs["gunicorn"], ["--workers", str(WEB_WORKERS)])
    except BaseException:
        stop(worker)
        raise
    return Stack(port=port, web=web, worker=worker, logs=logs)


def shut(stack: Stack) -> None:
    stop(stack.web)
    stop(stack.worker)


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its children, in MiB (0 if it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return round(total / 2**20, 1)


def queued_tasks() -> int | None:
    """Messages waiting in the broker's default queue (None if the broker cannot say)."""
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            ok = conn.default_channel.queue_declare(app.conf.task_default_queue, passive=True)
            return int(ok.message_count)
    except Exception:  # a transport without a passive declare, or the broker gone
        return None


@dataclass(frozen=True)
class Credentials:
    """What a signed-in editor's browser and script hold."""

    sessionid: str
    csrftoken: str
    token: str


def sign_in(base: str, username: str, password: str) -> Credentials:
    """Log in through the login form (as a browser: its cookie and CSRF token) and ask the API
    for a token (as a script); raise if either is refused."""
    browser = requests.Session()
    form = browser.get(f"{base}/accounts/login/", timeout=60)
    match = _CSRF_INPUT.search(form.text)
    if form.status_code != 200 or match is None:
        raise RuntimeError(f"login page: {form.status_code}")
    done = browser.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": match[1]},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=60,
    )
    if done.status_code != 302 or "sessionid" not in browser.cookies:
        raise RuntimeError(f"login of {username} refused: {done.status_code}")
    answer = requests.post(
        f"{base}/api/auth/token/",
        json={"username": username, "password": password},
        timeout=60,
    )
    if answer.status_code != 200:
        raise RuntimeError(f"token for {username} refused: {answer.status_code}")
    return Credentials(
        sessionid=str(browser.cookies["sessionid"]),
        csrftoken=str(browser.cookies.get("csrftoken", "")),
        token=answer.json()["token"],
    )


def warm_up(base: str, who: Credentials, article_id: int) -> None:
    """Enough requests that every web worker has imported its views, templates and the
    language model before the clock runs (a cold worker's first request would land in a short
    phase's p95). The writes go to a project of their own, which no figure counts."""
    page = {"Cookie": f"sessionid={who.sessionid}"}
    api = {"Authorization": f"Token {who.token}"}
    made = requests.post(f"{base}/api/projects/", json={"name": "Warm-up"}, headers=api, timeout=60)
    made.raise_for_status()
    for i in range(3 * WEB_WORKERS):
        for url, headers in (
            (f"/articles/{article_id}/", page),
            (f"/api/articles/{article_id}/", api),
        ):
            requests.get(base + url, headers=headers, timeout=60).raise_for_status()
        text = f"Warm-up {i}: the council said on Monday that the bridge would cost $4 million."
        article = requests.post(
            f"{base}/api/articles/",
            json={"project": made.json()["id"], "text": text, "title": f"Warm-up {i}"},
            headers=api,
            timeout=60,
        )
        article.raise_for_status()
        mark = {"article": article.json()["id"], "start": 0, "end": len(text)}
        requests.post(
            f"{base}/api/annotations/", json=mark, headers=api, timeout=60
        ).raise_for_status()
