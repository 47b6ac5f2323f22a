"""URL map: admin, the browser pages of each app, the API under /api/ and /health/."""

from django.contrib import admin
from django.urls import include, path

from common.views import health

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("annotations.urls")),
    path("", include("claims.urls")),
]
