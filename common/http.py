"""Typing help for browser views."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthedRequest(HttpRequest):
    """What login_required hands a view: the user is signed in, never anonymous."""

    user: User
