"""Every request gets an id: its log lines carry it and the response shows it (X-Request-ID), so
a user's or a proxy's report of a failed request leads straight to its lines in the log."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from common import logs

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"


def request_id_for(incoming: str | None) -> str:
    """The id a proxy or client sent when it is a sane token, so one id follows the request
    through every hop; otherwise a new one."""
    if incoming and logs.SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request.META.get(_META_KEY))
        # Code that reads the header (and django.request's log of the response) sees the id
        # that was accepted, never what the client sent.
        request.META[_META_KEY] = request_id
        token = logs.request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            logs.request_id.reset(token)
        response[HEADER] = request_id
        return response
