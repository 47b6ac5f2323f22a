"""Pagination for every list: cursors, so page 2,000 costs what page 1 costs.

A cursor encodes the last row's position in the ordering (`WHERE created_at < …`), served by
the (project, -created_at) indexes; offset pagination would scan every skipped row.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

MSG_PAGE_SIZE = "page_size must be a whole number from 1 to {max}."


class CursorPage(CursorPagination):
    # Fallback only: each viewset sets its own `ordering`, which OrderingFilter hands over.
    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Any) -> int | None:
        """As the schema says: an integer from 1 to max_page_size, or absent (the default);
        DRF would quietly fall back to the default on "null" or 0."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({"page_size": [MSG_PAGE_SIZE.format(max=self.max_page_size)]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters
