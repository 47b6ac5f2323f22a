"""The Celery application: settings come from Django's CELERY_* settings, tasks are autodiscovered."""

import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init, worker_ready

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


@worker_init.connect
def _share_cores(sender: object, **kwargs: object) -> None:
    """Runs in the worker's main process before its pool forks: each pool process embeds on
    its share of the cores (a solo or thread pool shares one process: nothing to divide)."""
    from annotations.services.embeddings import share_cores

    concurrency = getattr(sender, "concurrency", None)
    if isinstance(concurrency, int) and "prefork" in str(getattr(sender, "pool_cls", "")):
        share_cores(concurrency)


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
