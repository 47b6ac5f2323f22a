"""Locust users for the annotation API benchmark (run headless by benchmarks.api_load).

Each user is a signed-in editor (a session made by the bench) who reads articles with their
highlights and marks spans as new claims, with a short think time. Every request's latency is
recorded and written as JSON when locust quits, so percentiles are exact, not bucketed.

Configuration comes from the JSON file named by BENCH_LOCUST_CONFIG (see api_load.py).
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, between, events, task

CONFIG = json.loads(open(os.environ["BENCH_LOCUST_CONFIG"], encoding="utf-8").read())  # noqa: SIM115
RESULTS: list[tuple[str, float, str | None]] = []
_sessions = itertools.cycle(CONFIG["sessions"])


@events.request.add_listener
def _record(name: str, response_time: float, exception: object, **_: object) -> None:
    RESULTS.append((name, response_time, None if exception is None else str(exception)[:300]))


@events.quitting.add_listener
def _dump(**_: object) -> None:
    with open(os.environ["BENCH_LOCUST_OUT"], "w", encoding="utf-8") as out:
        json.dump(RESULTS, out)


class Editor(FastHttpUser):
    wait_time = between(*CONFIG["think_time_s"])

    def on_start(self) -> None:
        session = next(_sessions)
        self.headers = {
            "Cookie": f"sessionid={session}; csrftoken={CONFIG['csrf']}",
            "X-CSRFToken": CONFIG["csrf"],
        }

    @task(CONFIG["weights"]["create"])
    def create_mention(self) -> None:
        article, start, end, exact = random.choice(CONFIG["spans"])
        url = CONFIG["create_url"].format(article=article)
        body = {"article": article, "start": start, "end": end, "exact": exact, "statement": exact}
        # The API takes JSON; the reader's mark-claim view (the fallback) takes a form.
        data = None if CONFIG["create_json"] else body
        with self.client.post(
            url,
            headers=self.headers,
            name="create mention",
            catch_response=True,
            json=body if CONFIG["create_json"] else None,
            data=data,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")

    @task(CONFIG["weights"]["read"])
    def read_article(self) -> None:
        article = random.choice(CONFIG["spans"])[0]
        with self.client.get(
            CONFIG["read_url"].format(article=article),
            headers=self.headers,
            name="read article",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    @task(CONFIG["weights"]["read_api"])
    def read_annotations_api(self) -> None:
        if not CONFIG["read_api_url"]:
            return
        article = random.choice(CONFIG["spans"])[0]
        with self.client.get(
            CONFIG["read_api_url"].format(article=article),
            headers=self.headers,
            name="read highlights (API)",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
