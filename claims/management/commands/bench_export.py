"""`manage.py bench_export --claims 100000`: time and peak memory of the claim table export.

1. In one transaction that is rolled back at the end (nothing is left behind, even on Ctrl-C):
   a throwaway owner and project, a few outlets and articles, N claims with synthetic
   statements (bulk_create in batches) and a few mentions each; then ANALYZE so the planner
   sees the real row counts.
2. For each format, the API's export view is called as the owner (`/api/claims/export/
   ?project=…&format=…`) and its response consumed and discarded, as a client would.
   Measured: seconds, rows/s, bytes, and the peak RSS above the RSS just before the export,
   sampled every few ms by a thread (also for the first half of the run: a flat export
   peaks as high in its first half as over all of it); then, in a second run under
   tracemalloc (slower, so not timed), the peak of the Python heap.
3. Prints one JSON object as the last line.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import json
import os
import random
import threading
import time
import tracemalloc
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.signals import request_finished
from django.db import close_old_connections, connection, transaction
from django.urls import resolve
from rest_framework.test import APIRequestFactory, force_authenticate

from annotations.models import Article, Membership, Project, Role, Source
from annotations.services.extraction import content_hash
from claims.models import Annotation, Claim, ClaimKind, ClaimStatus

# Claims per bulk_create; their mentions go in the same round.
BATCH = 5_000
SENTENCES_PER_ARTICLE = 40
OUTLETS = ["Gazette", "Herald", "Courier", "Tribune", "Observer", "Wire", "Post", "Times"]
PLACES = ["Bakhmut", "Kherson", "Odesa", "Kyiv", "Lviv", "Mariupol", "Sumy", "Izium"]
THINGS = ["battle", "bridge", "budget", "ceasefire", "convoy", "election", "grain deal"]
VERBS = ["lasted", "cost", "took", "involved", "reached", "needed", "delayed"]
UNITS = ["months", "million euros", "days", "soldiers", "tonnes", "weeks", "trucks"]
# RSS sampling period: short enough to catch a peak, long enough not to slow the export.
SAMPLE_SECONDS = 0.005


def _sentence(rng: random.Random, n: int) -> str:
    return (
        f"The {rng.choice(THINGS)} near {rng.choice(PLACES)} {rng.choice(VERBS)} "
        f"{rng.randint(2, 900)} {rng.choice(UNITS)}, officials said ({n})."
    )


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _PeakRSS(threading.Thread):
    """Samples the process RSS until stopped; keeps (seconds since start, MB) pairs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self._done = threading.Event()
        self._start_time = time.perf_counter()

    def run(self) -> None:
        while not self._done.is_set():
            self.samples.append((time.perf_counter() - self._start_time, _rss_mb()))
            time.sleep(SAMPLE_SECONDS)

    def finish(self) -> list[tuple[float, float]]:
        self._done.set()
        self.join()
        return self.samples


def _articles(project: Project, count: int, rng: random.Random) -> list[Article]:
    sources = Source.objects.bulk_create(
        Source(project=project, name=name, domain=f"{name.lower()}.example") for name in OUTLETS
    )
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    articles = []
    for n in range(count):
        text = " ".join(_sentence(rng, n * 100 + s) for s in range(SENTENCES_PER_ARTICLE))
        articles.append(
            Article(
                project=project,
                source=sources[n % len(sources)],
                title=f"Article {n}",
                url=f"https://{sources[n % len(sources)].domain}/a/{n}",
                # Every tenth undated: the export falls back to its load time.
                published_at=None if n % 10 == 9 else start + dt.timedelta(hours=7 * n),
                text=text,
                content_hash=content_hash(text),
            )
        )
    return Article.objects.bulk_create(articles)


def _mentions(claims: list[Claim], articles: list[Article], per_claim: int, rng: random.Random):
    """`per_claim` mentions of each claim, each a whole sentence of a different article."""
    for claim in claims:
        for article in rng.sample(articles, per_claim):
            bounds = article.bench_bounds  # type: ignore[attr-defined]
            start, end = bounds[rng.randrange(len(bounds))]
            text = article.text
            yield Annotation(
                article=article,
                claim=claim,
                start=start,
                end=end,
                exact=text[start:end],
                prefix=text[max(0, start - 32) : start],
                suffix=text[end : end + 32],
            )


def _sentence_bounds(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for part in text.split(". "):
        bounds.append((start, start + len(part) + 1))
        start += len(part) + 2
    return [(s, min(e, len(text))) for s, e in bounds if e > s]


def build(*, claims: int, articles: int, per_claim: int, seed: int) -> tuple[Any, Project]:
    """The throwaway owner and project with its outlets, articles, claims and mentions."""
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:8]
    owner = get_user_model().objects.create(username=f"bench-export-{tag}")
    project = Project.objects.create(name=f"Export benchmark {tag}", slug=f"bench-export-{tag}")
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    loaded = _articles(project, articles, rng)
    for article in loaded:
        article.bench_bounds = _sentence_bounds(article.text)  # type: ignore[attr-defined]
    statuses, kinds = list(ClaimStatus.values), list(ClaimKind.values)
    for at in range(0, claims, BATCH):
        batch = Claim.objects.bulk_create(
            Claim(
                project=project,
                statement=_sentence(rng, n),
                status=rng.choice(statuses),
                kind=rng.choice(kinds),
                tags=rng.sample(["war", "economy", "energy", "courts"], 2),
            )
            for n in range(at, min(at + BATCH, claims))
        )
        Annotation.objects.bulk_create(_mentions(batch, loaded, per_claim, rng), batch_size=BATCH)
    with connection.cursor() as cursor:
        for model in (Claim, Annotation, Article, Source):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    return owner, project


def _export(owner: Any, project: Project, fmt: str) -> int:
    """One export through the routed API view as `owner`; the bytes are counted and dropped."""
    request = APIRequestFactory().get("/api/claims/export/", {"project": project.pk, "format": fmt})
    force_authenticate(request, user=owner)
    response = resolve("/api/claims/export/").func(request)
    if response.status_code != 200:
        raise CommandError(f"{fmt} export answered {response.status_code}")
    size = sum(len(chunk) for chunk in response.streaming_content)
    # Closing a response signals "request finished", which would drop the connection and the
    # benchmark's open transaction with it; the test client unhooks the same handler.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return size


def _release_free_memory() -> None:
    """Give freed heap back to the OS so the RSS baseline is not padded by the setup's garbage."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def measure(owner: Any, project: Project, fmt: str, rows: int) -> dict[str, Any]:
    """Time and RSS of one export, then the Python heap peak of a second, traced one."""
    _release_free_memory()
    before = _rss_mb()
    sampler = _PeakRSS()
    sampler.start()
    started = time.perf_counter()
    size = _export(owner, project, fmt)
    seconds = time.perf_counter() - started
    samples = sampler.finish()
    half = [mb for t, mb in samples if t <= seconds / 2] or [before]
    tracemalloc.start()
    _export(owner, project, fmt)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "bytes": size,
        "rss_before_mb": round(before, 1),
        "peak_rss_delta_mb": round(max(mb for _, mb in samples) - before, 1),
        "peak_rss_delta_first_half_mb": round(max(half) - before, 1),
        "peak_python_heap_mb": round(traced_peak / 2**20, 1),
    }


class Command(BaseCommand):
    help = "Time the claim table export (CSV, XLSX...) of N synthetic claims; prints JSON last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--claims", type=int, default=100_000, help="Number of claims N.")
        parser.add_argument("--mentions", type=int, default=2, help="Mentions per claim.")
        parser.add_argument("--articles", type=int, default=200, help="Articles to mention in.")
        parser.add_argument("--formats", default="csv,xlsx", help="Comma-separated: csv,xlsx,json.")
        parser.add_argument("--seed", type=int, default=5)

    def handle(self, *args: Any, **options: Any) -> None:
        formats = [f.strip() for f in options["formats"].split(",") if f.strip()]
        if not set(formats) <= {"csv", "xlsx", "json"} or options["claims"] < 1:
            raise CommandError("--formats takes csv, xlsx, json; --claims must be positive.")
        if not 0 <= options["mentions"] <= options["articles"]:
            raise CommandError("--mentions must be between 0 and --articles.")
        result: dict[str, Any] = {"claims": options["claims"]}
        with transaction.atomic():
            started = time.perf_counter()
            owner, project = build(
                claims=options["claims"],
                articles=options["articles"],
                per_claim=options["mentions"],
                seed=options["seed"],
            )
            result["mentions"] = Annotation.objects.filter(claim__project=project).count()
            result["setup_s"] = round(time.perf_counter() - started, 1)
            self.stderr.write(f"{result['claims']} claims, {result['mentions']} mentions ready.")
            for fmt in formats:
                result[fmt] = measure(owner, project, fmt, options["claims"])
                self.stderr.write(f"{fmt}: {json.dumps(result[fmt])}")
            # Clean-up: everything above was one transaction; drop it.
            transaction.set_rollback(True)
        self.stdout.write(json.dumps(result))
