"""The editors' workload's figures: per phase from what the clients recorded, the flat result
(its keys are what checkers read) with the issue's targets, and the readable summary."""

from __future__ import annotations

from typing import Any

from benchmarks.sampling import percentile

# Names the locustfile records; "API view" is the article + annotations pair timed as one,
# so it is left out of the request and error counts (its two requests are in them).
COMPOSITE = {"API view"}
PHASE_NAMES = {
    "import": ("post article",),
    "spans": ("span write (new claim)", "span write (existing claim)"),
    "read_page": ("reader page",),
    "read_api": ("API view",),
}
GIB_1_5_IN_MIB = 1.5e9 / 2**20
LATENCY_KEYS = ("p50_ms", "p95_ms", "p99_ms")


def _latency(times: list[float]) -> dict[str, float | None]:
    if not times:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    return {f"p{q}_ms": round(percentile(times, q), 1) for q in (50, 95, 99)}


def phase_figures(requests: list[list[Any]]) -> dict[str, Any]:
    """Per request name: count, errors, percentiles; the phase's wall time and error count."""
    by_name: dict[str, list[list[Any]]] = {}
    for row in requests:
        by_name.setdefault(row[0], []).append(row)
    real = [r for r in requests if r[0] not in COMPOSITE]
    seconds = max(r[1] + r[2] / 1000 for r in real) - min(r[1] for r in real) if real else 0.0
    names: dict[str, dict[str, Any]] = {
        name: {
            "requests": len(rows),
            "errors": sum(1 for r in rows if r[3]),
            "error_samples": sorted({r[3] for r in rows if r[3]})[:3],
            **_latency([r[2] for r in rows]),
        }
        for name, rows in sorted(by_name.items())
    }
    errors = sum(v["errors"] for k, v in names.items() if k not in COMPOSITE)
    return {"seconds": round(seconds, 2), "errors": errors, "names": names, "_rows": requests}


def _combined(figures: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Count, successes, rate and percentiles over the requests of `names` in a phase."""
    rows = [r for r in figures["_rows"] if r[0] in names]
    ok = sum(1 for r in rows if not r[3])
    rate = ok / figures["seconds"] if figures["seconds"] else None
    return {"count": len(rows), "ok": ok, "per_s": round(rate, 1) if rate else None, **_latency(
        [r[2] for r in rows]
    )}  # fmt: skip


def _targets(r: dict[str, Any]) -> dict[str, bool | None]:
    def at_least(key: str, bound: float) -> bool | None:
        return None if r[key] is None else r[key] >= bound

    def at_most(key: str, bound: float) -> bool | None:
        return None if r[key] is None else r[key] <= bound

    return {
        "span_writes_per_s >= 90": at_least("span_writes_per_s", 90),
        "span_write_p95_ms <= 300": at_most("span_write_p95_ms", 300),
        "views_per_s >= 150": at_least("views_per_s", 150),
        "view_p95_ms <= 250": at_most("view_p95_ms", 250),
        "import_accepted_per_s >= 120": at_least("import_accepted_per_s", 120),
        "bulk_accepted_per_s >= 500": at_least("bulk_accepted_per_s", 500),
        "long_article_median_ms < 100": at_most("long_article_median_ms", 99.999),
        "long_article_loaded_p95_ms < 300": at_most("long_article_loaded_p95_ms", 299.999),
        "worker_rss < 1.5 GB": at_most("worker_rss_mib", GIB_1_5_IN_MIB),
        "errors == 0": r["errors"] == 0,
        "lost == 0": r["lost"] == 0,
    }


def _phase_keys(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    c = {name: _combined(figures[name], names) for name, names in PHASE_NAMES.items()}

    def latencies(phase: str, prefix: str) -> dict[str, Any]:
        return {f"{prefix}_{k}": c[phase][k] for k in LATENCY_KEYS}

    return {
        "workload": "editors",
        "span_writes": c["spans"]["count"],
        "span_writes_per_s": c["spans"]["per_s"],
        **latencies("spans", "span_write"),
        "views": c["read_page"]["count"],
        "views_per_s": c["read_page"]["per_s"],
        **latencies("read_page", "view"),
        "api_views": c["read_api"]["count"],
        "api_views_per_s": c["read_api"]["per_s"],
        **latencies("read_api", "api_view"),
        "import_requests": c["import"]["count"],
        "import_accepted_per_s": c["import"]["per_s"],
        **latencies("import", "import"),
    }


def _long_article_keys(figures: dict[str, Any]) -> dict[str, Any]:
    unloaded, loaded, idle = (figures[k] for k in ("unloaded", "loaded", "idle"))
    return {
        "long_article_median_ms": unloaded["reader"][0],
        "long_article_api_median_ms": unloaded["api"][0],
        "long_article_loaded_p95_ms": loaded["reader"]["p95_ms"],
        "long_article_api_loaded_p95_ms": loaded["api"]["p95_ms"],
        "long_article_idle_median_ms": idle["reader"][0],
        "long_article_api_idle_median_ms": idle["api"][0],
    }


def result_of(
    *,
    figures: dict[str, dict[str, Any]],
    bulk: dict[str, Any],
    long_article: dict[str, Any],
    exports: dict[str, Any],
    timing: dict[str, Any],
    rss: dict[str, float],
    lost: dict[str, int],
    timeline: list[dict[str, Any]],
    config: Any,
) -> dict[str, Any]:
    """The flat result: the keys the issue names first, the detail after."""
    unloaded, loaded = long_article["unloaded"], long_article["loaded"]
    probe_errors = sum(v["errors"] for v in loaded.values())
    probe_errors += sum(n for _, n in [*unloaded.values(), *long_article["idle"].values()])
    export_errors = sum(1 for e in exports.values() if e["error"])
    errors = sum(f["errors"] for f in figures.values()) + bulk["bulk_errors"]
    result = {
        **_phase_keys(figures),
        **bulk,
        **timing,
        **_long_article_keys(long_article),
        "export_s": exports["csv"]["seconds"],
        "export_json_s": exports["json"]["seconds"],
        "export_rows": exports["csv"]["rows"],
        "worker_rss_mib": rss["worker"],
        "web_rss_mib": rss["web"],
        "errors": errors + probe_errors + export_errors,
        "lost": sum(lost.values()),
    }
    result["targets"] = _targets(result)
    result["detail"] = {
        "phases": {
            k: {kk: vv for kk, vv in f.items() if kk != "_rows"} for k, f in figures.items()
        },
        "lost_by_kind": lost,
        "long_article": long_article,
        "exports": exports,
        "errors_by_source": {"probes": probe_errors, "exports": export_errors},
        "timeline": timeline,
    }
    result["notes"] = notes(config)
    return result


def notes(config: Any) -> list[str]:
    return [
        f"{config.clients} locust clients (FastHttpUser, no think time) on the same machine as "
        "the servers; latencies measured on the client side, to the last byte.",
        "gunicorn --workers 5 (sync workers) and celery -A config worker --concurrency 2, "
        "started as the README's production section runs them; the worker is busy with the "
        "articles' processing and the claims' matching throughout the phases.",
        "Editors sign in through the login form (pages: session cookie) and "
        "POST /api/auth/token/ (API: token).",
        "A reader view is the reader page's HTML: it loads nothing else on open but static "
        "files a browser keeps cached (not fetched). An API view is GET /api/articles/<id>/ "
        "then /api/articles/<id>/annotations/, timed together.",
        "Rates are acknowledged (2xx) requests over the phase's wall time (first request sent "
        "to last answer); percentiles are over every request, failed ones included.",
        "long_article_median_ms: median of 10 sequential reader-page loads with no client "
        "running (the worker still busy); *_loaded_p95_ms: a probe client beside the view "
        "phases; *_idle_median_ms: again once every article is processed.",
        "all_processed_s and import_processed_s count from the first article posted; "
        "queue_empty_after_spans_s is the first time the broker queue was seen empty after the "
        "span writes began (None: never while sampled).",
        "lost: acknowledged writes (articles, bulk articles, mentions, claims) missing from "
        "the database after the workload.",
    ]


def readable(r: dict[str, Any]) -> str:
    """A few lines a person reads; the JSON line after them holds everything."""
    lines = [
        f"articles one by one: {r['import_accepted_per_s']}/s accepted, p50/p95/p99 "
        f"{r['import_p50_ms']}/{r['import_p95_ms']}/{r['import_p99_ms']} ms "
        f"({r['import_requests']} requests)",
        f"bulk ({r['bulk_via']}): {r['bulk_loaded']} in {r['bulk_s']} s = "
        f"{r['bulk_accepted_per_s']}/s",
        f"span writes: {r['span_writes_per_s']}/s, p50/p95/p99 {r['span_write_p50_ms']}/"
        f"{r['span_write_p95_ms']}/{r['span_write_p99_ms']} ms ({r['span_writes']} writes)",
        f"reader views: {r['views_per_s']}/s, p50/p95/p99 {r['view_p50_ms']}/"
        f"{r['view_p95_ms']}/{r['view_p99_ms']} ms ({r['views']} views)",
        f"API views (article + annotations): {r['api_views_per_s']}/s, p95 "
        f"{r['api_view_p95_ms']} ms, p99 {r['api_view_p99_ms']} ms",
        f"long article: reader median {r['long_article_median_ms']} ms unloaded, p95 "
        f"{r['long_article_loaded_p95_ms']} ms under the views, median "
        f"{r['long_article_idle_median_ms']} ms idle; API {r['long_article_api_median_ms']} / "
        f"{r['long_article_api_loaded_p95_ms']} / {r['long_article_api_idle_median_ms']} ms",
        f"claim export ({r['export_rows']} claims): CSV {r['export_s']} s, JSON "
        f"{r['export_json_s']} s",
        f"every article processed and matched after {r['all_processed_s']} s (the posted ones "
        f"after {r['import_processed_s']} s)",
        f"memory after the workload: web {r['web_rss_mib']} MiB, worker {r['worker_rss_mib']} MiB",
        f"errors {r['errors']}, lost {r['lost']}",
        "targets: " + ", ".join(f"{k}: {v}" for k, v in r["targets"].items()),
    ]
    return "\n".join(lines)
