"""Single-client measurements of the editors' workload, taken from the bench process over HTTP:
the long article (alone, and by a probe beside the 20 clients), the claim export to its last
byte, and a monitor that samples how far the worker has got while the clients run.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.db import connection
from django.db.models import Count, Q

from annotations.models import Article, ProcessingState, Project
from benchmarks.editors_stack import Credentials, queued_tasks
from benchmarks.sampling import percentile

logger = logging.getLogger("benchmarks")

UNLOADED_SAMPLES = 10
PROBE_PAUSE_S = 0.1  # the probe is one more reader, not a second load generator
MONITOR_EVERY_S = 2.0
PROGRESS_EVERY_S = 60.0  # how often the wait says how far the worker has got
REQUEST_TIMEOUT_S = 60


def long_article_urls(base: str, who: Credentials, article_id: int) -> dict[str, tuple]:
    """The reader page (session) and the API's article + annotations (token), by name."""
    page = {"Cookie": f"sessionid={who.sessionid}"}
    api = {"Authorization": f"Token {who.token}"}
    return {
        "reader": ((f"{base}/articles/{article_id}/", page),),
        "api": (
            (f"{base}/api/articles/{article_id}/", api),
            (f"{base}/api/articles/{article_id}/annotations/", api),
        ),
    }


def timed_get(session: requests.Session, gets: tuple) -> tuple[float, str | None]:
    """Milliseconds to fetch every (url, headers) in turn to the last byte; the first error."""
    started = time.perf_counter()
    error = None
    for url, headers in gets:
        try:
            response = session.get(url, headers=headers, timeout=REQUEST_TIMEOUT_S)
            if response.status_code != 200 and error is None:
                error = f"{response.status_code} {url}"
        except requests.RequestException as exc:
            error = error or f"{type(exc).__name__} {url}"
    return (time.perf_counter() - started) * 1000, error


def median_of(gets: tuple, samples: int = UNLOADED_SAMPLES) -> tuple[float, int]:
    """The median latency of `samples` sequential fetches and how many failed."""
    with requests.Session() as session:
        runs = [timed_get(session, gets) for _ in range(samples)]
    return round(percentile([ms for ms, _ in runs], 50), 1), sum(1 for _, e in runs if e)


class Probe(threading.Thread):
    """Fetches the same thing again and again while a phase runs (one client, short pauses)."""

    def __init__(self, gets: tuple) -> None:
        super().__init__(daemon=True)
        self.gets = gets
        self.times: list[float] = []
        self.errors: list[str] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        with requests.Session() as session:
            while not self._stop_event.is_set():
                ms, error = timed_get(session, self.gets)
                self.times.append(ms)
                if error:
                    self.errors.append(error)
                self._stop_event.wait(PROBE_PAUSE_S)

    def finish(self) -> dict[str, Any]:
        self._stop_event.set()
        self.join(timeout=REQUEST_TIMEOUT_S * 3)
        times = self.times or [0.0]
        return {
            "samples": len(self.times),
            "errors": len(self.errors),
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
        }


def export_to_last_byte(base: str, who: Credentials, project_id: int, fmt: str) -> dict:
    """Download the project's claim table; seconds to the last byte, bytes and rows."""
    url = f"{base}/api/claims/export/?format={fmt}&project={project_id}"
    started = time.perf_counter()
    response = requests.get(
        url, headers={"Authorization": f"Token {who.token}"}, stream=True, timeout=600
    )
    body = b"".join(response.iter_content(chunk_size=1 << 16))
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        return {"seconds": round(seconds, 3), "error": f"{response.status_code}", "rows": 0}
    if fmt == "csv":
        rows = sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1
    else:
        import json

        document = json.loads(body)
        rows = len(document if isinstance(document, list) else document.get("claims", []))
    return {"seconds": round(seconds, 3), "bytes": len(body), "rows": rows, "error": None}


@dataclass
class Sample:
    t: float  # seconds since the workload started
    articles: int
    done: int  # processed and matched, or failed
    posted_done: int
    failed: int
    queued: int | None


class Monitor(threading.Thread):
    """Samples, every MONITOR_EVERY_S, the project's articles done and the broker's queue."""

    def __init__(self, project: Project, t0: float) -> None:
        super().__init__(daemon=True)
        self.project, self.t0 = project, t0
        self.samples: list[Sample] = []
        self._stop_event = threading.Event()

    def sample(self) -> Sample:
        done = Q(processing_state=ProcessingState.PROCESSED, matched_at__isnull=False) | Q(
            processing_state=ProcessingState.FAILED
        )
        counts = Article.objects.filter(project=self.project).aggregate(
            articles=Count("id"),
            done=Count("id", filter=done),
            posted_done=Count("id", filter=done & Q(title__contains="[post ")),
            failed=Count("id", filter=Q(processing_state=ProcessingState.FAILED)),
        )
        return Sample(round(time.monotonic() - self.t0, 1), queued=queued_tasks(), **counts)

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                self.samples.append(self.sample())
                self._stop_event.wait(MONITOR_EVERY_S)
        finally:
            connection.close()

    def finish(self) -> None:
        self._stop_event.set()
        self.join(timeout=30)

    def first(self, test: Any) -> float | None:
        """Seconds from the start to the first sample that passes `test`."""
        return next((s.t for s in self.samples if test(s)), None)

    def wait_all_done(self, expected: int, timeout_s: float) -> float | None:
        """Block until every one of `expected` articles is done; seconds since the start."""
        deadline = time.monotonic() + timeout_s
        said = time.monotonic()
        while time.monotonic() < deadline:
            last = self.samples[-1] if self.samples else None
            if last and last.articles >= expected and last.done >= last.articles:
                return last.t
            if last and time.monotonic() - said >= PROGRESS_EVERY_S:
                logger.info("%d of %d articles done, %s tasks queued", last.done, expected,
                            last.queued)  # fmt: skip
                said = time.monotonic()
            time.sleep(MONITOR_EVERY_S)
        logger.info("articles still unprocessed after %d s", timeout_s)
        return None
