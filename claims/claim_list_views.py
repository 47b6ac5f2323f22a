"""The claim list page: every claim of a project, searched, filtered, paginated, exportable.

Views parse, call one selector, render; the filters are the API's (claims.page_filters).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from annotations import selectors as annotation_selectors
from claims import page_filters
from common.http import AuthedRequest

# Claims per page of the claim list.
CLAIMS_PER_PAGE = 50


@login_required
def claim_list(request: AuthedRequest, slug: str) -> HttpResponse:
    project = annotation_selectors.project_get(user=request.user, slug=slug)
    claims, desk = page_filters.claim_page(user=request.user, project=project, params=request.GET)
    page = Paginator(claims, CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "project": project,
        "page": page,
        "desk": desk,
        "exports": page_filters.export_links(project=project, desk=desk),
        "page_query": desk.query.urlencode(),
    }
    status = 400 if desk.errors else 200
    return render(request, "claims/claim_list.html", context, status=status)
