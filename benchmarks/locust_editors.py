"""Locust users for the editors' workload (run headless by benchmarks.editors, one phase a run).

The clients share one list of work items (articles to post, spans to mark, articles to open)
and stop when it is empty: a phase is a fixed amount of work, so its rate is work done over
the time from the first request to the last answer. No think time: each client sends its next
request as soon as it has the answer, as a desk's worth of editors at their busiest. Each
client is a signed-in editor: the pages get its session cookie, the API its token.

Every request is recorded with its start time and its latency (measured here, on the client
side, to the last byte) and written as JSON when locust quits, with the ids of what each
acknowledged write created, so the bench can check that all of it is in the database.

Configuration comes from the JSON file named by BENCH_LOCUST_CONFIG (see editors.py).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections import deque
from typing import Any

import gevent
from locust import FastHttpUser, events, task
from locust.exception import StopUser

CONFIG = json.loads(open(os.environ["BENCH_LOCUST_CONFIG"], encoding="utf-8").read())  # noqa: SIM115
ITEMS: deque[dict[str, Any]] = deque(CONFIG["items"])
REQUESTS: list[tuple[str, float, float, str | None]] = []
CREATED: list[dict[str, Any]] = []
CLAIMS: list[int] = list(CONFIG.get("claims", []))  # existing claims, grown by new ones
USED: set[tuple[int, int, int, int]] = set()  # (article, start, end, claim) already marked
_clients = itertools.cycle(CONFIG["clients"])
_finished: list[int] = []


@events.request.add_listener
def _record(
    name: str, response_time: float, exception: object, start_time: float, **_: object
) -> None:
    error = None if exception is None else str(exception)[:300]
    REQUESTS.append((name, start_time, response_time, error))


@events.quitting.add_listener
def _dump(**_: object) -> None:
    with open(os.environ["BENCH_LOCUST_OUT"], "w", encoding="utf-8") as out:
        json.dump({"requests": REQUESTS, "created": CREATED}, out)


def _expect(response: Any, status: int) -> bool:
    if response.status_code == status:
        return True
    response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
    return False


class Editor(FastHttpUser):
    network_timeout = connection_timeout = float(CONFIG["timeout_s"])

    def on_start(self) -> None:
        client = next(_clients)
        self.page_headers = {"Cookie": f"sessionid={client['sessionid']}"}
        self.api_headers = {"Authorization": f"Token {client['token']}"}

    @task
    def work(self) -> None:
        if not ITEMS:
            _finished.append(1)
            if len(_finished) == CONFIG["users"]:  # the last client out ends the run
                gevent.spawn(self.environment.runner.quit)
            raise StopUser()
        item = ITEMS.popleft()
        getattr(self, CONFIG["phase"])(item)

    def post_article(self, item: dict[str, Any]) -> None:
        body = {"project": CONFIG["project"], **item}
        with self.client.post(
            "/api/articles/", json=body, headers=self.api_headers, name="post article",
            catch_response=True,
        ) as response:  # fmt: skip
            if _expect(response, 201):
                CREATED.append({"article": response.json()["id"]})

    def mark_span(self, item: dict[str, Any]) -> None:
        body = {k: item[k] for k in ("article", "start", "end", "exact")}
        span = (item["article"], item["start"], item["end"])
        claim = None if item["new"] else self._claim_for(span)
        if claim is None:
            body["statement"] = item["exact"]
        else:
            body["claim"] = claim
            USED.add((*span, claim))
        name = "span write (new claim)" if claim is None else "span write (existing claim)"
        with self.client.post(
            "/api/annotations/", json=body, headers=self.api_headers, name=name,
            catch_response=True,
        ) as response:  # fmt: skip
            if _expect(response, 201):
                data = response.json()
                CREATED.append({"annotation": data["id"], "claim": data["claim"]})
                if claim is None:
                    CLAIMS.append(data["claim"])

    def _claim_for(self, span: tuple[int, int, int]) -> int | None:
        """An existing claim not yet marked on this span (None: mark a new claim instead)."""
        for _ in range(20):
            claim = random.choice(CLAIMS) if CLAIMS else None
            if claim is not None and (*span, claim) not in USED:
                return claim
        return None

    def read_page(self, item: dict[str, Any]) -> None:
        with self.client.get(
            f"/articles/{item['article']}/", headers=self.page_headers, name="reader page",
            catch_response=True,
        ) as response:  # fmt: skip
            _expect(response, 200)

    def read_api(self, item: dict[str, Any]) -> None:
        """The article and its annotations, as a script or another front end reads it."""
        started, wall = time.time(), time.perf_counter()
        errors = []
        for url, name in (
            (f"/api/articles/{item['article']}/", "API article"),
            (f"/api/articles/{item['article']}/annotations/", "API annotations"),
        ):
            with self.client.get(
                url, headers=self.api_headers, name=name, catch_response=True
            ) as response:
                if not _expect(response, 200):
                    errors.append(f"{name}: {response.status_code}")
        elapsed = (time.perf_counter() - wall) * 1000
        REQUESTS.append(("API view", started, elapsed, "; ".join(errors) or None))
