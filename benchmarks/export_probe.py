"""One claim-table export in a fresh process, for benchmarks.export: prints one JSON line with
rows, seconds, rows/s, bytes and peak memory (peak RSS during the export minus RSS before).

The export goes through the API's own view (`GET /api/claims/export/?project=…&format=…`,
resolved and called in-process as a project member, its streamed body consumed and dropped),
so the figures include DRF, the scoping selector and the streaming code.

Run as `python -m benchmarks.export_probe --project ID [--formats csv,json,xlsx]`: the formats
run one after the other, each peak measured from the RSS just before it. Django is set up in
main(), so nothing here imports models at module level.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

FORMATS = ("csv", "json", "xlsx")


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _PeakSampler(threading.Thread):
    """Samples RSS every few milliseconds (ru_maxrss also counts what happened before)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _rss_mb()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.005):
            self.peak = max(self.peak, _rss_mb())


def _through_api(project_id: int, user_id: int, fmt: str) -> Callable[..., int]:
    """The API's export view called in-process as `user_id`; returns the bytes it streamed."""
    from django.contrib.auth import get_user_model
    from django.urls import resolve, reverse
    from rest_framework.test import APIRequestFactory, force_authenticate

    url = reverse("api:claim-export")
    view = resolve(url).func
    user = get_user_model().objects.get(pk=user_id)

    def export(**extra: str) -> int:
        request = APIRequestFactory().get(url, {"project": project_id, "format": fmt, **extra})
        force_authenticate(request, user=user)
        response = view(request)
        if response.status_code != 200:
            raise RuntimeError(f"{fmt} export answered {response.status_code}")
        size = sum(len(chunk) for chunk in response.streaming_content)
        response.close()
        return size

    return export


def _probe(project_id: int, user_id: int, fmt: str) -> dict[str, Any]:
    from claims.models import Claim

    rows = Claim.objects.filter(project_id=project_id).count()
    export = _through_api(project_id, user_id, fmt)
    export(search="no-such-claim-in-the-bench")  # imports, URL map, first queries: 0 rows
    before = _rss_mb()
    sampler = _PeakSampler()
    sampler.start()
    started = time.perf_counter()
    size = export()
    elapsed = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed, 1),
        "bytes": size,
        "peak_mb": round(sampler.peak - before, 1),
        "rss_before_mb": round(before, 1),
    }


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description="Export one project's claim table; print JSON.")
    parser.add_argument("--project", type=int, required=True)
    parser.add_argument("--user", type=int, required=True, help="A member who may export.")
    parser.add_argument("--formats", default=",".join(FORMATS), help="Comma-separated.")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()
    formats = [f for f in args.formats.split(",") if f in FORMATS]
    print(json.dumps({fmt: _probe(args.project, args.user, fmt) for fmt in formats}))


if __name__ == "__main__":
    main()
