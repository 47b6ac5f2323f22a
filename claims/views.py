"""Browser pages for claims (the claim page is built in the annotation-UI issue)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from claims import selectors


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_get(user=request.user, pk=pk)
    return render(request, "claims/claim_detail.html", {"claim": claim})
