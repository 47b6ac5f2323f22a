"""Error reports to Sentry, only where the operator named a project with SENTRY_DSN."""

from __future__ import annotations


def sentry_init(*, dsn: str) -> bool:
    """Start Sentry with its Django and Celery integrations when `dsn` is set; True if started.

    The settings call this, so the web, worker and command processes each start it once.
    Events carry no personal data (users, cookies, bodies, addresses). Sending happens on a
    background thread: an unreachable Sentry never holds up a request or a task.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
    )
    return True
