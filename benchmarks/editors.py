"""`manage.py bench --workload editors`: a newsroom's desk at its busiest, over HTTP.

In a throwaway database (benchmarks.runner.run_child) it makes a desk of 20 editors and one
article of 5,000 words with 200 marks, starts gunicorn and a Celery worker as the README's
production section runs them (benchmarks.editors_stack), signs the editors in, and drives
them, 20 concurrent locust clients with no think time, phase by phase:

    a. articles posted one by one through the API        d. article views: the reader page,
    b. as many in bulk (benchmarks.editors_bulk)            then the API's article + annotations
    c. span writes: half new claims, half mentions       e. the long article, alone and under d
       of existing claims                                f. the claim export, to the last byte

then waits until every article is processed and matched, reads the processes' memory and
checks that every acknowledged write is in the database. The worker starts with the desk's
first work queued and stays busy throughout: the web tier is measured beside it.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.core.management import call_command

from benchmarks import editors_data as data
from benchmarks import editors_probes as probes
from benchmarks import editors_stack as stack_
from benchmarks.api_load import free_port, run_locust
from benchmarks.editors_bulk import bulk_load
from benchmarks.editors_report import phase_figures, result_of
from benchmarks.runner import run_child, setup_logging

logger = logging.getLogger("benchmarks")

LOCUSTFILE = Path(__file__).with_name("locust_editors.py")
CLIENT_TIMEOUT_S = 60  # a request unanswered for this long is an error (a timeout)


@dataclass(frozen=True)
class EditorsConfig:
    out: Path
    articles: int = 1_000
    span_writes: int = 10_000
    views: int = 5_000
    clients: int = 20
    seed: int = 7
    process_timeout_s: int = 3_600

    def argv(self) -> list[str]:
        return [
            "--workload", "editors", "--out", str(self.out), "--seed", str(self.seed),
            "--articles", str(self.articles), "--span-writes", str(self.span_writes),
            "--views", str(self.views), "--clients", str(self.clients),
            "--process-timeout", str(self.process_timeout_s),
        ]  # fmt: skip

    def result_path(self) -> Path:
        return self.out / f"bench-editors-{self.articles}.json"


def run(config: EditorsConfig) -> dict[str, Any]:
    return run_child(config.argv(), config.out, config.result_path())


def run_inner(config: EditorsConfig) -> dict[str, Any]:
    """1. Migrate; make the desk, the texts and the long article (its work queued).
    2. Start the worker and the web; sign the editors in; run the phases.
    3. Write the JSON result where the parent reads it."""
    setup_logging()
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    desk = data.desk_create(clients=config.clients)
    writer = data.NewsWriter(config.seed)
    logger.info("writing 2 x %d articles of %d+ words", config.articles, data.ARTICLE_WORDS)
    posted = data.write_articles(writer, config.articles, "post")
    bulk = data.write_articles(writer, config.articles, "bulk")
    long_article, long_claims = data.long_article_create(desk=desk, writer=writer)
    logger.info("long article %d marked; starting the worker and the web", long_article.pk)
    with tempfile.TemporaryDirectory(prefix="claimtrack-bench-editors-") as tmp:
        work = Path(tmp)
        stack = stack_.start(free_port(), work)
        try:
            result = _workload(config, desk, stack, posted, bulk, long_article, long_claims, work)
        except Exception:
            for name, log in stack.logs.items():
                logger.error("%s log:\n%s", name, log.read_text(errors="replace")[-3000:])
            raise
        finally:
            stack_.shut(stack)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["config"] = {k: str(v) for k, v in asdict(config).items()}
    config.result_path().write_text(json.dumps(result, indent=1, default=str))
    return result


def _phase(
    stack: stack_.Stack, method: str, items: list[dict[str, Any]], common: dict[str, Any]
) -> dict[str, Any]:
    """One phase: the clients share `items`; returns what locust recorded."""
    logger.info("phase %s: %d items, %d clients", method, len(items), common["users"])
    config = {**common, "phase": method, "items": items}
    cap = 300 + 2 * len(items)  # a safety net only: a phase ends when its items are done
    with tempfile.TemporaryDirectory(prefix=f"claimtrack-bench-{method}-") as tmp:
        out = run_locust(stack.port, config, cap, common["users"], Path(tmp), LOCUSTFILE)
    stack.check_alive()
    # Said now, not only in the result: a run stopped while the worker catches up keeps them.
    figures = phase_figures(out["requests"])
    logger.info("phase %s done in %.1f s, %d errors: %s", method, figures["seconds"],
                figures["errors"], figures["names"])  # fmt: skip
    return out  # type: ignore[no-any-return]


def _sign_in(
    config: EditorsConfig, desk: data.Desk, stack: stack_.Stack, long_article: Any
) -> tuple[list[stack_.Credentials], dict[str, Any]]:
    """Sign every editor in over HTTP, warm the web up; the clients' common locust config."""
    creds = [stack_.sign_in(stack.base, e.username, desk.password) for e in desk.editors]
    logger.info("%d editors signed in; warming the web workers up", len(creds))
    stack_.warm_up(stack.base, creds[0], long_article.pk)
    common = {
        "users": config.clients,
        "clients": [asdict(c) for c in creds],
        "project": desk.project.pk,
        "timeout_s": CLIENT_TIMEOUT_S,
    }
    return creds, common


def _workload(
    config: EditorsConfig,
    desk: data.Desk,
    stack: stack_.Stack,
    posted: list[data.SyntheticArticle],
    bulk: list[data.SyntheticArticle],
    long_article: Any,
    long_claims: list[int],
    work: Path,
) -> dict[str, Any]:
    """The phases in order (module docstring), then _finish."""
    rng = random.Random(config.seed)
    creds, common = _sign_in(config, desk, stack, long_article)
    monitor = probes.Monitor(desk.project, time.monotonic())
    monitor.start()
    runs = {"import": _phase(stack, "post_article", [data.as_payload(a) for a in posted], common)}
    logger.info("phase bulk: %d articles", len(bulk))
    bulk_result = bulk_load(
        base=stack.base, token=creds[0].token, project=desk.project, articles=bulk, work=work
    )
    spans = data.span_items(
        project=desk.project, articles=posted + bulk, count=config.span_writes, rng=rng
    )
    spans_start = time.monotonic() - monitor.t0
    runs["spans"] = _phase(stack, "mark_span", spans, {**common, "claims": long_claims})
    ids = data.article_ids(desk.project, ("post", "bulk"))
    views = data.view_items(article_ids=ids, count=config.views, rng=rng)
    urls = probes.long_article_urls(stack.base, creds[-1], long_article.pk)
    loaded = {}
    for method, key in (("read_page", "reader"), ("read_api", "api")):
        probe = probes.Probe(urls[key])  # one more reader, of the long article, beside them
        probe.start()
        runs[method] = _phase(stack, method, views, common)
        loaded[key] = probe.finish()
    long_article_figures = {
        "unloaded": {key: probes.median_of(gets) for key, gets in urls.items()},
        "loaded": loaded,
    }
    exports = {
        fmt: probes.export_to_last_byte(stack.base, creds[0], desk.project.pk, fmt)
        for fmt in ("csv", "json")
    }
    return _finish(
        config, stack, monitor, runs, bulk_result, [a.title for a in bulk],
        long_article_figures | {"urls": urls}, exports, spans_start,
    )  # fmt: skip


def _finish(
    config: EditorsConfig,
    stack: stack_.Stack,
    monitor: probes.Monitor,
    runs: dict[str, Any],
    bulk_result: Any,
    bulk_titles: list[str],
    long_article: dict[str, Any],
    exports: dict[str, Any],
    spans_start: float,
) -> dict[str, Any]:
    """Wait until every article is processed and matched, read memory, look at the long
    article once more with the worker done, check nothing was lost, assemble the result."""
    logger.info("waiting until every article is processed and matched")
    all_processed = monitor.wait_all_done(2 * config.articles + 1, config.process_timeout_s)
    rss = stack.rss_mib()
    urls = long_article.pop("urls")
    long_article["idle"] = {key: probes.median_of(gets) for key, gets in urls.items()}
    monitor.finish()
    lost = data.lost_writes(
        created=[c for run in runs.values() for c in run["created"]],
        bulk_titles=bulk_titles,
        bulk_acknowledged=bulk_result.loaded,
    )
    return result_of(
        figures={name: phase_figures(run["requests"]) for name, run in runs.items()},
        bulk=bulk_result.as_dict(),
        long_article=long_article,
        exports=exports,
        timing={
            "all_processed_s": all_processed,
            "import_processed_s": monitor.first(lambda s: s.posted_done >= config.articles),
            "queue_empty_after_spans_s": monitor.first(
                lambda s: s.t > spans_start and s.queued == 0
            ),
        },
        rss=rss,
        lost=lost,
        timeline=[asdict(s) for s in monitor.samples[:: max(1, len(monitor.samples) // 200)]],
        config=config,
    )
