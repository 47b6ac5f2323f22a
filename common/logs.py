"""What every log line carries besides its message: the id of the web request or Celery task it
belongs to, so an operator can pull one request's or one task's lines out of a busy log.

settings.LOGGING puts `ContextFilter` on the console handler; `common.request_id` sets the
request id, `config.celery`'s task signals the task id.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
task_id: ContextVar[str | None] = ContextVar("task_id", default=None)

# Ids from outside (a client's or proxy's X-Request-ID) land in log lines: only short tokens of
# these characters, so no newline, quote or markup can forge or break a line.
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _request_id_of(record: logging.LogRecord) -> str | None:
    """django.request logs a 4xx/5xx response after the middleware has returned and cleared the
    context; the request it passes along still holds the id in its header."""
    request = getattr(record, "request", None)
    meta = getattr(request, "META", None)
    value = meta.get("HTTP_X_REQUEST_ID") if isinstance(meta, dict) else None
    return value if isinstance(value, str) and SANE_ID.fullmatch(value) else None


class ContextFilter(logging.Filter):
    """Adds `request_id`, `task_id` (None outside one) and `log_context`, their text form."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = in_request = request_id.get() or _request_id_of(record)
        record.task_id = in_task = task_id.get()
        if in_task:
            record.log_context = f"task={in_task}"
        elif in_request:
            record.log_context = f"request={in_request}"
        else:
            record.log_context = "-"
        return True


class JsonFormatter(_LibraryJsonFormatter):
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger, message, request_id,
    task_id, then whatever `extra` the call passed (exc_info holds a traceback)."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
            timestamp=True,
            rename_fields={"levelname": "level", "name": "logger"},
            # log_context repeats the ids; `request` is Django's request or a socket, not data.
            reserved_attrs=[*RESERVED_ATTRS, "log_context", "request"],
        )
