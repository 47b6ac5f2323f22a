"""Browser views raise ApplicationError like services do; this turns it into the right page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from common.errors import ApplicationError


class ApplicationErrorMiddleware:
    """Render ApplicationError as an error page with its message and status (404, 403, 409...).

    The API does not reach here: DRF's exception handler answers first with JSON.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError):
            return None
        body = render_to_string(
            "error.html", {"status": exception.status, "message": exception.message}, request
        )
        return HttpResponse(body, status=exception.status)
