"""API tokens for scripts (django-rest-knox): stored hashed, each expiring, revocable.

POST a username and password to get a token; send it as `Authorization: Token <token>`. A
token lives for `CLAIMTRACK_API_TOKEN_TTL_H` hours; POST to the logout endpoints with it to
revoke it, or every token of its user.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from knox.views import LoginView, LogoutAllView, LogoutView
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import JSONParser


class TokenObtainView(LoginView):
    """A new token for a username and password (throttled by the login lockout)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer(
            "TokenObtained",
            {"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
        ),
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        credentials = AuthTokenSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        request.user = credentials.validated_data["user"]
        return super().post(request, format=format)  # type: ignore[no-any-return]


class TokenRevokeView(LogoutView):
    """Revoke the token the request is made with."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format=format)  # type: ignore[no-any-return]


class TokenRevokeAllView(LogoutAllView):
    """Revoke every token of the request's user."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format=format)  # type: ignore[no-any-return]
