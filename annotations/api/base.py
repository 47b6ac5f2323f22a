"""What every Claimtrack viewset shares: auth order, roles, parsers, schema, pagination."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from annotations.api.pagination import CursorPage
from annotations.api.permissions import EditorForWrites
from annotations.api.schema import ClaimtrackAutoSchema
from common.api import JSONParser
from common.errors import ApplicationError


class ClaimtrackAPIMixin:
    """Mixed into every viewset.

    Token authentication comes first so that a request without credentials gets 401 with
    `WWW-Authenticate: Token` (DRF takes that header from the first authenticator; session
    authentication has none and would turn "not logged in" into 403).
    """

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, EditorForWrites]
    parser_classes = [JSONParser]
    renderer_classes: list[Any] = [JSONRenderer, BrowsableAPIRenderer]
    pagination_class = CursorPage
    schema = ClaimtrackAutoSchema()
    # Any path segment reaches the view (which answers a JSON 404), not only DRF's default
    # "[^/.]+": "/api/claims/1.5/" must not fall through to Django's HTML 404 page.
    lookup_value_regex = "[^/]+"

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        """A plain Response where CSV or XLSX was negotiated (OPTIONS, say) is sent as JSON:
        those renderers only name a format the view streams itself."""
        renderer = getattr(request, "accepted_renderer", None)
        if isinstance(response, Response) and getattr(renderer, "streams_only", False):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]

    # Error statuses a write to this viewset can answer beyond 400/401/403/404 (for the schema).
    write_error_codes: tuple[str, ...] = ()


MSG_BODY_NOT_OBJECT = "The request body must be a JSON object."


def request_body(request: Any) -> Any:
    """The parsed body as a mapping; a JSON list, string or number is refused with 400."""
    data = request.data
    if not isinstance(data, Mapping):
        raise ApplicationError(MSG_BODY_NOT_OBJECT)
    return data


def validated(serializer_class: Any, request: Any, **kwargs: Any) -> dict[str, Any]:
    """Validate the request body with an input serializer (400 on errors); its clean data."""
    serializer = serializer_class(
        data=request_body(request), context={"request": request}, **kwargs
    )
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
