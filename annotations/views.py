"""Browser pages for projects and articles: the project list, a project's page, the reader.

Views parse, call one service or selector, and render. Roles are checked by the selectors
(outsiders: 404) and by require_role/has_role (viewers read, editors change).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from annotations import highlights, selectors, services
from annotations.form_memory import form_recall, form_remember
from annotations.forms import ArticleAddForm
from annotations.models import AnchorState, Annotation, Article, Project, Role, Stance
from annotations.permissions import has_role, require_role
from claims import page_filters
from claims import selectors as claim_selectors
from claims.models import ClaimKind, ClaimStatus
from common.errors import ApplicationError, NotFound, PermissionDenied
from common.filtering import page_query
from common.http import AuthedRequest

# The project page lists this many claims; the matrix and the API show them all.
CLAIMS_ON_PROJECT_PAGE = 100
# After processing, matching runs; the reader keeps refreshing the proposal count until the
# article is matched, or for this long at most (a worker that is down stops the polling).
MATCHING_WINDOW = dt.timedelta(seconds=60)
MSG_ARTICLE_ADDED = "Article added. It is being processed; you can mark claims right away."


@login_required
def project_list(request: AuthedRequest) -> HttpResponse:
    projects = selectors.project_overview(user=request.user)
    return render(request, "annotations/project_list.html", {"projects": projects})


def _article_table_context(
    request: AuthedRequest, project: Project, articles: QuerySet[Article]
) -> dict[str, Any]:
    listed = list(articles)
    return {
        "project": project,
        "articles": listed,
        "polling": any(selectors.article_is_active(a) for a in listed),
        # The polled table keeps the page's search.
        "table_query": page_query(request.GET, whole_days=False).urlencode(),
    }


def _project_context(
    request: AuthedRequest, project: Project, form: ArticleAddForm | None = None
) -> dict[str, Any]:
    articles, claims, desk = page_filters.project_page(
        user=request.user, project=project, params=request.GET
    )
    shown = list(claims[: CLAIMS_ON_PROJECT_PAGE + 1])
    return {
        **_article_table_context(request, project, articles),
        "claims": shown[:CLAIMS_ON_PROJECT_PAGE],
        "more_claims": len(shown) > CLAIMS_ON_PROJECT_PAGE,
        "pending_count": claim_selectors.pending_candidate_count(project=project),
        "can_edit": has_role(request.user, project, Role.EDITOR),
        "form": form or ArticleAddForm(),
        "desk": desk,
        "exports": page_filters.export_links(project=project, desk=desk),
    }


@login_required
def project_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    project = selectors.project_get(user=request.user, slug=slug)
    # A failed add-article redirects here with its errors and typed values (post/redirect/get).
    recalled = form_recall(request, key=_add_form_key(project), form_class=ArticleAddForm)
    form, extra = recalled if recalled else (None, {})
    context = _project_context(request, project, form)
    context["duplicate_id"] = extra.get("duplicate_id")
    status = 400 if context["desk"].errors else 200
    return render(request, "annotations/project_detail.html", context, status=status)


@login_required
def project_articles(request: AuthedRequest, slug: str) -> HttpResponse:
    """The article table alone: polled by htmx every 2 s while an article is processed."""
    project = selectors.project_get(user=request.user, slug=slug)
    articles = page_filters.article_table(user=request.user, project=project, params=request.GET)
    context = _article_table_context(request, project, articles)
    return render(request, "annotations/_article_table.html", context)


def _create_article(project: Project, form: ArticleAddForm, actor: Any) -> Article:
    data, meta = form.cleaned_data, form.metadata()
    if data.get("file"):
        upload = data["file"]
        return services.article_create_from_file(
            project=project, data=upload.read(), filename=upload.name, actor=actor, **meta
        )
    if data.get("url"):
        return services.article_create_from_url(
            project=project, url=data["url"], actor=actor, **meta
        )
    return services.article_create(project=project, text=data["text"], actor=actor, **meta)  # type: ignore[arg-type]


@login_required
@require_POST
def article_add(request: AuthedRequest, slug: str) -> HttpResponse:
    project = selectors.project_get(user=request.user, slug=slug)
    require_role(request.user, project, Role.EDITOR)
    form = ArticleAddForm(request.POST, request.FILES)
    duplicate_id = None
    if form.is_valid():
        try:
            article = _create_article(project, form, request.user)
        except (NotFound, PermissionDenied):
            raise
        except ApplicationError as exc:  # duplicate, empty, unreadable file, unreachable URL
            form.add_error(None, exc.message)
            duplicate_id = exc.extra.get("article_id")
        else:
            messages.success(request, MSG_ARTICLE_ADDED)
            return redirect(article)
    # Back to the project page with the errors and the typed values: a reload must not re-post.
    extra = {"duplicate_id": duplicate_id}
    form_remember(request, key=_add_form_key(project), form=form, extra=extra)
    return redirect(f"{project.get_absolute_url()}#add-article")


def _add_form_key(project: Project) -> str:
    return f"article-add:{project.pk}"


def _claims_of(mentions: list[Annotation]) -> list[dict[str, Any]]:
    """The reader's side panel: each claim once, in order of its first mention, with them all."""
    by_claim: dict[int, dict[str, Any]] = {}
    for mention in mentions:
        entry = by_claim.setdefault(mention.claim_id, {"claim": mention.claim, "mentions": []})
        entry["mentions"].append(mention)
    return list(by_claim.values())


def _marks_context(request: AuthedRequest, article: Article) -> dict[str, Any]:
    mentions = list(selectors.article_mentions(article=article))
    segments, claims = highlights.segments(article.text, mentions), _claims_of(mentions)
    colours = highlights.claim_colours(entry["claim"].pk for entry in claims)
    highlights.colour_segments(segments, colours)
    for entry in claims:
        entry["colour"] = colours[entry["claim"].pk]  # its swatch in the legend
    return {
        "article": article,
        "segments": segments,
        "claims": claims,
        "orphaned": [m for m in mentions if m.anchor_state == AnchorState.ORPHANED],
    }


def _state_context(article: Article) -> dict[str, Any]:
    matching = bool(
        article.processed_at
        and article.matched_at is None
        and timezone.now() - article.processed_at < MATCHING_WINDOW
    )
    return {
        "article": article,
        "polling": selectors.article_is_active(article) or matching,
        "pending_count": claim_selectors.pending_candidate_count(
            project=article.project, article=article
        ),
    }


@login_required
def article_read(request: AuthedRequest, pk: int) -> HttpResponse:
    article = selectors.article_get(user=request.user, pk=pk)
    context = {
        **_marks_context(request, article),
        **_state_context(article),
        "project": article.project,
        "can_mark": has_role(request.user, article.project, Role.EDITOR),
        "kinds": ClaimKind.choices,
        "statuses": ClaimStatus.choices,
        "stances": Stance.choices,
    }
    return render(request, "annotations/article_read.html", context)


@login_required
def article_marks(request: AuthedRequest, pk: int) -> HttpResponse:
    """The text with its highlights and the claims panel, swapped in after a mark is saved."""
    article = selectors.article_get(user=request.user, pk=pk)
    return render(request, "annotations/_article_marks.html", _marks_context(request, article))


@login_required
def article_state(request: AuthedRequest, pk: int) -> HttpResponse:
    """The processing badge alone: polled while the article is processed and matched."""
    article = selectors.article_get(user=request.user, pk=pk)
    return render(request, "annotations/_article_state.html", _state_context(article))
