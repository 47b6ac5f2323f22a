"""The review desk's second half: undoing a decision, deciding many proposals in one POST, and
the offer to merge two claims once a "same as" proposal is accepted.

Undo answers JSON to the queue's script (Accept: application/json) and redirects with a message
otherwise (the claim page and the queue's "recently decided" list are plain forms).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from annotations import selectors as annotation_selectors
from annotations.models import Role
from annotations.permissions import require_role
from claims import selectors
from claims.activity import merge_offer_url
from claims.desk_forms import BulkDecisionForm, UndoForm
from claims.models import CandidateState
from claims.services.decisions import candidate_bulk_decide, candidate_undo
from common.errors import ApplicationError, NotFound, PermissionDenied
from common.http import AuthedRequest

MSG_UNDONE = "Decision undone: the proposal is back in the review queue."
MSG_UNDO_FORM = "This undo button is out of date; reload the page."
MSG_NOT_SAME_AS = "Only an accepted “same as” proposal between two claims can be merged from here."
BULK_VERBS = {"accept": "accepted", "reject": "rejected"}


def _wants_json(request: AuthedRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _next(request: AuthedRequest, default: str) -> str:
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


@login_required
@require_POST
def candidate_undo_view(request: AuthedRequest, pk: int) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    back = _next(request, reverse("review-queue", kwargs={"slug": candidate.project.slug}))
    form = UndoForm(request.POST)
    try:
        require_role(request.user, candidate.project, Role.EDITOR)
        if not form.is_valid():
            raise ApplicationError(MSG_UNDO_FORM)
        candidate_undo(candidate=candidate, token=form.cleaned_data["token"], actor=request.user)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        if _wants_json(request):
            return JsonResponse({"detail": exc.message}, status=exc.status)
        messages.error(request, exc.message)
        return redirect(back)
    if _wants_json(request):
        return JsonResponse(
            {"id": candidate.pk, "state": CandidateState.PENDING, "detail": MSG_UNDONE}
        )
    messages.success(request, MSG_UNDONE)
    return redirect(back)


@login_required
@require_POST
def candidates_bulk(request: AuthedRequest, slug: str) -> HttpResponse:
    project = annotation_selectors.project_get(user=request.user, slug=slug)
    require_role(request.user, project, Role.EDITOR)
    queue_url = reverse("review-queue", kwargs={"slug": project.slug})
    form = BulkDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(next(iter(form.errors.values()))[0]))
        return redirect(queue_url)
    decision = form.cleaned_data["decision"]
    try:
        result = candidate_bulk_decide(
            project=project, candidate_ids=form.chosen_ids(), decision=decision, actor=request.user
        )
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(queue_url)
    count = len(result.decided)
    text = f"{count} proposal{'s' if count != 1 else ''} {BULK_VERBS[decision]}."
    if result.skipped:
        text += f" {result.skipped} skipped: decided by someone else or no longer in the queue."
    if result.same_as:
        text += " Accepted “same as” pairs can be merged from “Recently decided” below."
    text += " Each can be undone below."
    messages.success(request, text)
    return redirect(queue_url)


@login_required
@require_GET
def candidate_merge_offer(request: AuthedRequest, pk: int) -> HttpResponse:
    """Two claims an editor just called the same: keep one, merge the other into it."""
    candidate = selectors.candidate_get(user=request.user, pk=pk)
    require_role(request.user, candidate.project, Role.EDITOR)
    if not merge_offer_url(candidate) or candidate.target_claim is None:
        messages.error(request, MSG_NOT_SAME_AS)
        return redirect(candidate.claim)
    context = {
        "project": candidate.project,
        "candidate": candidate,
        "first": candidate.claim,
        "second": candidate.target_claim,
    }
    return render(request, "claims/merge_offer.html", context)
