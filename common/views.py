"""/health/: the state of each part as JSON, 200 when all are up, 503 naming what is down."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from common.health import health_check


# No login: a load balancer polls it. GET and HEAD only, never cached by a proxy in between.
@csrf_exempt
@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    report = health_check()
    return JsonResponse(report.as_dict(), status=200 if report.up else 503)
