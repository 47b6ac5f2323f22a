"""Browser pages for corrections to claims: deleting a claim (after a confirmation page) and
moving a mention's span. Thin: parse, call one service, redirect with a message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotations.models import Role
from annotations.permissions import require_role
from claims import selectors
from claims.edit_forms import MentionSpanForm
from claims.models import Annotation
from claims.services.edits import annotation_move, claim_delete, nudged_span
from common.errors import ApplicationError, NotFound, PermissionDenied
from common.http import AuthedRequest

# The span page shows this much article text on each side of the mention.
SPAN_CONTEXT_CHARS = 600


@login_required
@require_http_methods(["GET", "POST"])
def claim_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (saying what goes with the claim); POST deletes."""
    claim = selectors.claim_get(user=request.user, pk=pk)
    require_role(request.user, claim.project, Role.EDITOR)
    project = claim.project
    if request.method == "POST":
        claim_delete(claim=claim, actor=request.user)
        messages.success(request, f"Claim #{pk} deleted with its mentions.")
        return redirect(project)
    context = {"claim": claim, "project": project, "mention_count": claim.mentions.count()}
    return render(request, "claims/claim_delete.html", context)


def _span_context(mention: Annotation, **extra: Any) -> dict[str, Any]:
    text = mention.article.text
    window_start = max(0, mention.start - SPAN_CONTEXT_CHARS)
    window_end = min(len(text), mention.end + SPAN_CONTEXT_CHARS)
    return {
        "mention": mention,
        "article": mention.article,
        "project": mention.article.project,
        "claim": mention.claim,
        "window_start": window_start,
        "before": text[window_start : mention.start],
        "inside": text[mention.start : mention.end],
        "after": text[mention.end : window_end],
        "form": MentionSpanForm(initial={"start": mention.start, "end": mention.end}),
        **extra,
    }


def _requested_span(mention: Annotation, form: MentionSpanForm) -> tuple[int, int, str | None]:
    data = form.cleaned_data
    if data["nudge"]:
        start, end = nudged_span(
            text=mention.article.text, start=mention.start, end=mention.end, nudge=data["nudge"]
        )
        return start, end, None
    return data["start"], data["end"], data["exact"] or None


@login_required
@require_http_methods(["GET", "POST"])
def mention_span(request: AuthedRequest, pk: int) -> HttpResponse:
    """Adjust a mention's span: select the text anew, type offsets, or nudge an edge by a word."""
    mention = selectors.mention_get(user=request.user, pk=pk)
    require_role(request.user, mention.article.project, Role.EDITOR)
    mention.article.refresh_from_db(fields=["text"])
    if request.method == "GET":
        return render(request, "claims/mention_span.html", _span_context(mention))
    form = MentionSpanForm(request.POST)
    if form.is_valid():
        try:
            start, end, exact = _requested_span(mention, form)
            annotation_move(
                annotation=mention, start=start, end=end, exact=exact, actor=request.user
            )
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as exc:  # outside the text, reversed, blank, stale quote
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Mention now reads “{mention.exact}”.")
            return redirect("mention-span", pk=mention.pk)
    mention.refresh_from_db()
    context = _span_context(mention, form=form)
    return render(request, "claims/mention_span.html", context, status=400)
