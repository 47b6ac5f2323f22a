"""API viewset for outlets: parse, call one selector, render. Roles:
annotations/api/permissions.py; errors: common/api.py. Projects, articles and mentions, shown
with what is marked in them, are served by the claims app's API."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import viewsets

from annotations import selectors
from annotations.api.base import ClaimtrackAPIMixin
from annotations.api.filters import SourceFilter
from annotations.api.serializers import SourceSerializer
from annotations.models import Source


class SourceViewSet(ClaimtrackAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Outlets; they are created with the articles that name them."""

    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    ordering = ("name", "id")
    ordering_fields = ("name", "created_at", "id")
    search_fields = ("name", "domain")

    def get_queryset(self) -> QuerySet[Source]:
        return selectors.source_api_list(user=self.request.user)
