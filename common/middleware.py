"""Browser views raise ApplicationError like services do; this turns it into the right page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from common.errors import ApplicationError

logger = logging.getLogger(__name__)
MSG_DATABASE_UNAVAILABLE = (
    "The database is unavailable for a moment; nothing was saved. Try again shortly."
)
# Seconds a client is asked to wait before retrying while the database is away.
RETRY_AFTER_S = 5


def _database_unavailable(request: HttpRequest) -> HttpResponse:
    """A database restart or outage: 503 with Retry-After, JSON for API clients."""
    logger.warning("Database unavailable for %s %s", request.method, request.path)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": MSG_DATABASE_UNAVAILABLE, "code": "database_unavailable"}, status=503
        )
    else:
        body = render_to_string("error.html", {"status": 503, "message": MSG_DATABASE_UNAVAILABLE})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


class ApplicationErrorMiddleware:
    """Render ApplicationError as an error page with its message and status (404, 403, 409...).

    The API does not reach here: DRF's exception handler answers first with JSON.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return _database_unavailable(request)
        if not isinstance(exception, ApplicationError):
            return None
        body = render_to_string(
            "error.html", {"status": exception.status, "message": exception.message}, request
        )
        return HttpResponse(body, status=exception.status)
