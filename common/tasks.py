"""What every Celery task in the project retries: only transient failures (database restarting,
connection dropped, timeout). A missing row or a bad article is not retried."""

from django.db import InterfaceError, OperationalError

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
