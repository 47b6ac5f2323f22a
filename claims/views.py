"""Browser pages and small XHR endpoints for claims: the claim page and its actions, marking a
span in the reader, claim search, the review queue and the claims-by-sources matrix.

XHR endpoints answer JSON; an ApplicationError becomes {"detail": message} with its status.
Page actions are plain POST forms that redirect back with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from annotations import selectors as annotation_selectors
from annotations.models import Role
from annotations.permissions import has_role, require_role
from claims import activity, conflicts, page_filters, presentation, selectors, services
from claims import reasons as review_reasons
from claims.duplicates import claim_same_wording, duplicate_payload
from claims.forms import (
    CandidateDecisionForm,
    ClaimEditForm,
    ClaimMergeForm,
    ClaimRelateForm,
    MarkClaimForm,
)
from claims.models import Claim, MatchCandidate
from claims.services.decisions import decision_token
from common.errors import ApplicationError, NotFound, PermissionDenied, PreconditionFailed
from common.http import AuthedRequest

MSG_CONFLICT = (
    "Someone else saved this claim while you were editing it (it is now at version {version}). "
    "Your changes were not saved. The page shows the claim as it is now; below, each field "
    "that differs shows their value and yours: choose, then save again."
)
DECISIONS = {
    CandidateDecisionForm.ACCEPT: services.candidate_accept,
    CandidateDecisionForm.REJECT: services.candidate_reject,
    CandidateDecisionForm.RELATED: services.candidate_mark_related,
}


def _json_error(exc: ApplicationError) -> JsonResponse:
    return JsonResponse({"detail": exc.message}, status=exc.status)


def _form_error(form: Any) -> JsonResponse:
    first = next(iter(form.errors.values()))[0]
    return JsonResponse({"detail": first, "errors": form.errors}, status=400)


# --- The claim page ----------------------------------------------------------------------


def _claim_context(request: AuthedRequest, claim: Claim, **extra: Any) -> dict[str, Any]:
    choices = selectors.claim_choices(claim=claim)
    return {
        "claim": claim,
        "project": claim.project,
        "mentions": list(selectors.claim_mentions(claim=claim)),
        "relations": list(selectors.claim_relations(claim=claim)),
        "candidates": list(selectors.claim_pending_candidates(claim=claim)),
        "history": presentation.history_entries(selectors.claim_history(claim=claim)),
        "activity": activity.claim_activity(claim=claim),
        "decided": activity.claim_decided_proposals(claim=claim),
        "can_edit": has_role(request.user, claim.project, Role.EDITOR),
        "edit_form": ClaimEditForm.for_claim(claim),
        "merge_form": ClaimMergeForm(choices=choices),
        "relate_form": ClaimRelateForm(choices=choices),
        **extra,
    }


@login_required
def claim_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_get(user=request.user, pk=pk)
    return render(request, "claims/claim_detail.html", _claim_context(request, claim))


@login_required
@require_POST
def claim_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_get(user=request.user, pk=pk)
    require_role(request.user, claim.project, Role.EDITOR)
    form = ClaimEditForm(request.POST)
    if not form.is_valid():
        context = _claim_context(request, claim, edit_form=form, edit_open=True)
        return render(request, "claims/claim_detail.html", context, status=400)
    fields = dict(form.cleaned_data)
    version = fields.pop("version")
    try:
        services.claim_update(claim=claim, actor=request.user, expected_version=version, **fields)
    except PreconditionFailed:
        claim = selectors.claim_get(user=request.user, pk=pk)
        # Both versions side by side: saving again keeps the other editor's values by default.
        rows, same = conflicts.claim_conflict(claim=claim, base_version=version, mine=fields)
        conflict = MSG_CONFLICT.format(version=claim.version)
        context = _claim_context(
            request, claim, conflict=conflict, conflict_rows=rows, conflict_same=same
        )
        return render(request, "claims/claim_detail.html", context, status=412)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        context = _claim_context(request, claim, edit_form=form, edit_open=True)
        return render(request, "claims/claim_detail.html", context, status=exc.status)
    messages.success(request, "Claim saved.")
    return redirect(claim)


def _back(request: AuthedRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if target and allowed else default)


@login_required
@require_POST
def mention_detach(request: AuthedRequest, pk: int) -> HttpResponse:
    mention = selectors.mention_get(user=request.user, pk=pk)
    require_role(request.user, mention.article.project, Role.EDITOR)
    claim_url = mention.claim.get_absolute_url()
    services.annotation_detach(annotation=mention, actor=request.user)
    messages.success(request, "Mention detached. The claim itself is kept.")
    return _back(request, claim_url)


@login_required
@require_POST
def claim_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_get(user=request.user, pk=pk)
    require_role(request.user, claim.project, Role.EDITOR)
    form = ClaimMergeForm(request.POST, choices=selectors.claim_choices(claim=claim))
    if not form.is_valid():
        messages.error(request, "Choose the claim to merge into.")
        return redirect(claim)
    target = services.claim_merge(
        source=claim, target=form.cleaned_data["target"], actor=request.user
    )
    messages.success(request, f"Claim #{pk} merged into this claim; its mentions are here now.")
    return redirect(target)


@login_required
@require_POST
def relation_create(request: AuthedRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_get(user=request.user, pk=pk)
    require_role(request.user, claim.project, Role.EDITOR)
    form = ClaimRelateForm(request.POST, choices=selectors.claim_choices(claim=claim))
    if not form.is_valid():
        messages.error(request, "Choose a relation and the other claim.")
        return redirect(claim)
    data = form.cleaned_data
    try:
        services.relation_create(
            source=claim,
            target=data["target"],
            kind=data["kind"],
            note=data["note"],
            actor=request.user,
        )
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Relation saved.")
    return redirect(claim)


# --- The reader's XHR: search claims, mark a span ----------------------------------------


@login_required
@require_GET
def claim_search(request: AuthedRequest, slug: str) -> JsonResponse:
    try:
        project = annotation_selectors.project_get(user=request.user, slug=slug)
        found = selectors.claim_search(
            user=request.user, project=project, query=request.GET.get("q", "")
        )
    except ApplicationError as exc:
        return _json_error(exc)
    results = [
        {
            "id": claim.pk,
            "statement": claim.statement,
            "status": claim.get_status_display(),
            "mentions": getattr(claim, "mention_count", 0),
            "url": claim.get_absolute_url(),
        }
        for claim in found
    ]
    return JsonResponse({"results": results})


@login_required
@require_POST
def mention_create(request: AuthedRequest, pk: int) -> JsonResponse:
    """Mark the selected span: a mention of a new claim, or of an existing one."""
    try:
        article = annotation_selectors.article_get(user=request.user, pk=pk)
        require_role(request.user, article.project, Role.EDITOR)
        form = MarkClaimForm(request.POST)
        if not form.is_valid():
            return _form_error(form)
        data = form.cleaned_data
        claim = selectors.claim_get(user=request.user, pk=data["claim"]) if data["claim"] else None
        # A new claim worded like an existing one: the reader asks first ("allow_duplicate").
        same = None
        if claim is None:
            same = claim_same_wording(project=article.project, statement=data["statement"])
        if same is not None and request.POST.get("allow_duplicate") != "1":
            payload = duplicate_payload(same, url=same.get_absolute_url())
            return JsonResponse({"detail": payload["detail"], "duplicate": payload}, status=409)
        mention = services.annotation_create(
            article=article,
            claim=claim,
            start=data["start"],
            end=data["end"],
            exact=data["exact"],
            statement=data["statement"],
            kind=data["kind"] or "fact",
            status=data["status"] or "unverified",
            stance=data["stance"] or "asserts",
            actor=request.user,
        )
    except ApplicationError as exc:
        return _json_error(exc)
    return JsonResponse(
        {
            "id": mention.pk,
            "start": mention.start,
            "end": mention.end,
            "exact": mention.exact,
            "claim": {
                "id": mention.claim_id,
                "statement": mention.claim.statement,
                "url": mention.claim.get_absolute_url(),
            },
        },
        status=201,
    )


# --- The review queue --------------------------------------------------------------------


@dataclass
class ReviewItem:
    candidate: MatchCandidate
    text: list[tuple[str, bool]]  # the candidate passage, matched words flagged
    quote: list[tuple[str, bool]]  # the claim's first mention, matched words flagged
    signals: list[presentation.SignalRow]
    reasons: list[review_reasons.Reason]  # the card's one line, in an editor's words
    likely: str  # the score as a percentage


def _proposed_text(candidate: MatchCandidate) -> str:
    if candidate.target_claim is not None:
        return candidate.target_claim.statement
    passage = candidate.passage
    assert passage is not None
    start, end = candidate.start, candidate.end
    if start is not None and end is not None and passage.start <= start < end <= passage.end:
        return passage.text[start - passage.start : end - passage.start]
    return passage.text


def _review_item(candidate: MatchCandidate, aliases: dict[str, str]) -> ReviewItem:
    text = _proposed_text(candidate)
    quote = getattr(candidate, "source_quote", None) or ""
    reference = [candidate.claim.statement, quote]
    return ReviewItem(
        candidate=candidate,
        text=presentation.mark_matches(text, reference, aliases),
        quote=presentation.mark_matches(quote, [text], aliases),
        signals=presentation.signal_rows(candidate.signals or {}),
        reasons=review_reasons.reasons(candidate.signals or {}),
        likely=review_reasons.likelihood(candidate.score),
    )


@login_required
def review_queue(request: AuthedRequest, slug: str) -> HttpResponse:
    project = annotation_selectors.project_get(user=request.user, slug=slug)
    aliases = presentation.comparable_aliases(selectors.alias_map(project=project))
    filters, desk = page_filters.review_filter(project=project, params=request.GET)
    queue = selectors.review_queue(user=request.user, project=project, filters=filters)
    items = [_review_item(c, aliases) for c in queue]
    total = selectors.pending_candidate_count(project=project)
    context = {
        "project": project,
        "items": items,
        "total": total,
        "matching": (
            page_filters.pending_matching(project=project, candidates=filters)
            if desk.active
            else total
        ),
        "desk": desk,
        "can_review": has_role(request.user, project, Role.EDITOR),
    }
    if context["can_review"]:
        context["recent"] = activity.recent_decisions(project=project, user=request.user)
    status = 400 if desk.errors else 200
    return render(request, "claims/review_queue.html", context, status=status)


@login_required
@require_POST
def candidate_decide(request: AuthedRequest, pk: int) -> JsonResponse:
    """Accept, reject or mark related one candidate (XHR from the review queue)."""
    try:
        candidate = selectors.candidate_get(user=request.user, pk=pk)
        require_role(request.user, candidate.project, Role.EDITOR)
        form = CandidateDecisionForm(request.POST)
        if not form.is_valid():
            return _form_error(form)
        decide = DECISIONS[form.cleaned_data["decision"]]
        candidate = decide(candidate=candidate, actor=request.user)
    except ApplicationError as exc:
        return _json_error(exc)
    mention_url = candidate.annotation.get_absolute_url() if candidate.annotation else ""
    return JsonResponse(
        {
            "id": candidate.pk,
            "state": candidate.state,
            "label": candidate.get_state_display(),
            "mention_url": mention_url,
            "undo_url": reverse("candidate-undo", kwargs={"pk": candidate.pk}),
            "token": decision_token(candidate),
            "merge_url": activity.merge_offer_url(candidate),
        }
    )


# --- The matrix --------------------------------------------------------------------------


@login_required
def claim_matrix(request: AuthedRequest, slug: str) -> HttpResponse:
    project = annotation_selectors.project_get(user=request.user, slug=slug)
    matrix = selectors.claim_source_matrix(user=request.user, project=project)
    return render(request, "claims/matrix.html", {"project": project, "matrix": matrix})
