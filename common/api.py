"""DRF glue shared by every API module: the exception handler that maps ApplicationError once.

Every error leaves the API as JSON of one shape, `{"detail": "...", "code": "...", ...}`
(validation errors add `"errors": {field: [messages]}`), whatever format the client asked for:
a CSV export that fails answers in JSON, not in a half-written CSV.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, parsers, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    TooLarge,
)

MSG_INVALID_INPUT = "Invalid input."
MSG_JSON_TOO_DEEP = "JSON parse error - the body is nested too deeply."
MSG_BODY_TOO_LARGE = "The request body is larger than the limit of {limit:,} bytes."
MSG_BAD_REQUEST = "The request could not be read."

# Machine-readable codes for ApplicationError subclasses (DRF errors bring their own).
_CODES: dict[type[ApplicationError], str] = {
    NotFound: "not_found",
    PermissionDenied: "permission_denied",
    Conflict: "conflict",
    PreconditionFailed: "precondition_failed",
    TooLarge: "too_large",
}


class JSONParser(parsers.JSONParser):
    """DRF's parser, with a body nested past Python's recursion limit (thousands of `[`) a 400
    rather than a RecursionError and a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(MSG_JSON_TOO_DEEP) from exc


def _first_message(detail: Any, path: str = "") -> str:
    """The first message of a nested DRF error structure, prefixed with its field path."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = path if key == "non_field_errors" else f"{path}.{key}" if path else str(key)
            return _first_message(value, name)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], path)
    return f"{path}: {detail}" if path else str(detail)


def _validation_body(detail: Any) -> dict[str, Any]:
    errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    return {
        "detail": _first_message(errors) or MSG_INVALID_INPUT,
        "code": "invalid",
        "errors": errors,
    }


def _use_json(context: dict[str, Any]) -> None:
    """Errors are JSON even where the view negotiated CSV, XLSX or JSON-LD."""
    request = context.get("request")
    if request is None:
        return
    renderer = getattr(request, "accepted_renderer", None)
    if isinstance(renderer, BrowsableAPIRenderer):
        return
    # No renderer yet (content negotiation itself failed) or a non-JSON one: answer in JSON.
    if renderer is None or renderer.media_type != "application/json":
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = "application/json"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """JSON errors with a clear message: {"detail": "...", "code": "...", ...extra}."""
    _use_json(context)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = {"detail": MSG_BODY_TOO_LARGE.format(limit=limit), "code": "too_large"}
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):  # Django answers these with its HTML 400 page
        return Response({"detail": MSG_BAD_REQUEST, "code": "bad_request"}, status=400)
    if isinstance(exc, ApplicationError):
        code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "invalid")
        return Response({"detail": exc.message, "code": code, **exc.extra}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        errors: Any = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response(_validation_body(errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ValidationError):
        response = drf_exception_handler(exc, context)
        if response is not None:
            response.data = _validation_body(exc.detail)
        return response
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        response.data.setdefault("code", _code_of(exc))
    return response


def _code_of(exc: Exception) -> str:
    if isinstance(exc, Http404):
        return "not_found"
    if isinstance(exc, DjangoPermissionDenied):
        return "permission_denied"
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    return codes if isinstance(codes, str) else "error"


MSG_NO_SUCH_ENDPOINT = "There is no API endpoint at {path}; see /api/docs/."


def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """The last /api/ route: an unknown API address is a JSON 404, not the HTML error page."""
    return JsonResponse(
        {"detail": MSG_NO_SUCH_ENDPOINT.format(path=request.path), "code": "not_found"},
        status=status.HTTP_404_NOT_FOUND,
    )
