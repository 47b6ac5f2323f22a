"""Pagination for every list: cursors, so page 2,000 costs what page 1 costs.

A cursor encodes the last row's position in the ordering (`WHERE created_at < …`), served by
the (project, -created_at) indexes; offset pagination would scan every skipped row.
"""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    # Fallback only: each viewset sets its own `ordering`, which OrderingFilter hands over.
    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500
