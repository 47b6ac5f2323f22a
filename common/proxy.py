"""Forwarded headers count only when they come from a proxy the operator named.

Django trusts `SECURE_PROXY_SSL_HEADER` from whoever sends it. With gunicorn bound to a public
address, any client could claim HTTPS; so the header is set only when CLAIMTRACK_TRUSTED_PROXIES
names the proxies, and this middleware drops the forwarded headers of any other peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST")


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.CLAIMTRACK_TRUSTED_PROXIES]


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.networks = _networks()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._from_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in _FORWARDED:
                request.META.pop(header, None)
        return self.get_response(request)

    def _from_proxy(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(peer in network for network in self.networks)
