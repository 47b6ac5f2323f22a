"""The API router: every viewset is registered here, under /api/ (URL names in namespace "api").

Also the OpenAPI 3 schema (/api/schema/), its browsable docs (/api/docs/ Swagger UI,
/api/redoc/), and token endpoints for scripts (/api/auth/token/, expiring hashed tokens).
"""

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from annotations.api.views import SourceViewSet
from claims.api.text_views import AnnotationViewSet, ArticleViewSet, ProjectViewSet
from claims.api.views import CandidateViewSet, ClaimViewSet, RelationViewSet
from common.api import api_not_found
from common.api_tokens import TokenObtainView, TokenRevokeAllView, TokenRevokeView

# The namespace keeps API route names (claim-detail...) apart from the browser pages' names.
app_name = "api"

router = DefaultRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("sources", SourceViewSet, basename="source")
router.register("articles", ArticleViewSet, basename="article")
router.register("annotations", AnnotationViewSet, basename="annotation")
router.register("claims", ClaimViewSet, basename="claim")
router.register("relations", RelationViewSet, basename="relation")
router.register("candidates", CandidateViewSet, basename="candidate")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="token-revoke"),
    path("auth/token/revoke-all/", TokenRevokeAllView.as_view(), name="token-revoke-all"),
    path("", include(router.urls)),
    # Last: unknown addresses under /api/ that end in "/" get a JSON 404 (without the slash,
    # CommonMiddleware's redirect to the slashed address still happens first).
    re_path(r"^(?P<path>.*/)$", api_not_found),
]
