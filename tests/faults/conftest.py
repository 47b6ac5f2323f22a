"""Fixtures of the fault tests: a broker of the test's own and workers that are always cleaned up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.support import (
    RABBITMQ_URL,
    RedisServer,
    Worker,
    delete_rabbitmq_queue,
    rabbitmq_available,
    unique_name,
)


@dataclass
class Broker:
    kind: str
    url: str
    queue: str
    redis: RedisServer | None = None


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Broker]:
    """A private redis-server, or a queue of the test's own on the machine's RabbitMQ."""
    queue = unique_name("claimtrack-faults")
    if request.param == "redis":
        server = RedisServer(tmp_path / "redis.log")
        server.start()
        try:
            yield Broker("redis", server.url, queue, redis=server)
        finally:
            server.stop()
        return
    if not rabbitmq_available():
        pytest.skip(f"RabbitMQ is not reachable at {RABBITMQ_URL}")
    try:
        yield Broker("rabbitmq", RABBITMQ_URL, queue)
    finally:
        delete_rabbitmq_queue(queue)


@pytest.fixture
def redis_broker(tmp_path: Path) -> Iterator[Broker]:
    server = RedisServer(tmp_path / "redis.log")
    server.start()
    try:
        yield Broker("redis", server.url, unique_name("claimtrack-faults"), redis=server)
    finally:
        server.stop()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start a real worker on a broker (waits until it is ready); all are stopped at the end."""
    started: list[Worker] = []

    def start(name: str, broker: Broker, *, visibility_timeout: int | None = None) -> Worker:
        worker = Worker(
            name,
            broker_url=broker.url,
            queue=broker.queue,
            log_dir=tmp_path,
            visibility_timeout=visibility_timeout,
        )
        started.append(worker)
        return worker.wait_ready()

    yield start
    for worker in started:
        worker.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what each fault test observed (its `observed` property), for the closing note."""
    lines = [
        (report.nodeid.split("::")[-1], value)
        for report in terminalreporter.stats.get("passed", [])
        if report.when == "call"
        for name, value in report.user_properties
        if name == "observed"
    ]
    if lines:
        terminalreporter.section("faults: what was observed")
        for test, value in lines:
            terminalreporter.line(f"{test}\n    {value}")
