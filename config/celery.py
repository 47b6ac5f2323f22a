"""The Celery application: settings come from Django's CELERY_* settings, tasks are autodiscovered."""

import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import (
    heartbeat_sent,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_ready,
)

from common import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("claimtrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """kombu's filesystem transport expects its folders to exist."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect
def _on_configure(sender: Celery, **kwargs: object) -> None:
    ensure_broker_folders()


@setup_logging.connect
def _log_as_django_does(loglevel: int | None = None, **kwargs: object) -> None:
    """A receiver here keeps Celery from replacing the root logger's handlers with its own
    format: worker and beat lines look like the web's (settings.LOGGING). `-l` sets the level."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@task_prerun.connect
def _log_task_id(task_id: str, **kwargs: object) -> None:
    logs.task_id.set(task_id)


@task_postrun.connect
def _forget_task_id(task_id: str, **kwargs: object) -> None:
    logs.task_id.set(None)


@worker_init.connect
def _share_cores(sender: object, **kwargs: object) -> None:
    """Runs in the worker's main process before its pool forks: each pool process embeds on
    its share of the cores (a solo or thread pool shares one process: nothing to divide)."""
    from annotations.services.embeddings import share_cores

    concurrency = getattr(sender, "concurrency", None)
    if isinstance(concurrency, int) and "prefork" in str(getattr(sender, "pool_cls", "")):
        share_cores(concurrency)


@worker_process_init.connect
def _yield_cores_to_the_web(**kwargs: object) -> None:
    """Runs in each pool process as it starts: its model work runs CLAIMTRACK_WORKER_NICE
    steps of niceness below the worker's main process (and the web processes started beside
    it), so an editor's request on the same cores is served first."""
    from django.conf import settings

    if settings.CLAIMTRACK_WORKER_NICE > 0:
        os.nice(settings.CLAIMTRACK_WORKER_NICE)  # capped at 19 by the kernel


@worker_ready.connect
def _relay_outbox_on_start(sender: object, **kwargs: object) -> None:
    """A worker that starts after a broker outage sends what the web process could not, and
    queues again the work a worker that died left behind."""
    from django.db import DatabaseError

    from annotations.services.recovery import sweep_stranded
    from common.outbox import relay_unsent

    try:
        relay_unsent()
        sweep_stranded()
    except DatabaseError:  # the database is down: the schedule's next sweep does it
        logging.getLogger(__name__).exception("Start-up relay and sweep failed.")


@heartbeat_sent.connect
def _record_heartbeat(sender: object, **kwargs: object) -> None:
    """Celery's own worker heartbeat, sent every 2 s by the worker's main process however busy
    its pool is (a task waiting behind a bulk load would not be), kept for /health/."""
    from common.health import worker_heartbeat_beat

    eventer = getattr(sender, "eventer", None)
    worker_heartbeat_beat(worker=str(getattr(eventer, "hostname", None) or "celery"))
