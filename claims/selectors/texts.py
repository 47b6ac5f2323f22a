"""Reads of projects and articles together with what is marked in them: the project list's
counts of claims and reviews, the reader's mentions, and the mentions of the REST API.
Scoped to the user's projects through the texts layer's selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from annotations import selectors as annotation_selectors
from annotations.models import Article, Membership, Project, Role
from annotations.permissions import AnyUser, projects_for
from claims.models import Annotation, CandidateState, Claim, MatchCandidate


def _count_of(queryset: QuerySet[Any], by: str = "project") -> Coalesce:
    """COUNT(*) of `queryset` per `by` as a correlated subquery, so several counts do not
    multiply each other's rows as joins would."""
    counted = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def project_overview(*, user: AnyUser) -> QuerySet[Project]:
    """The project list: each project with its numbers of articles, claims and pending reviews."""
    return (
        projects_for(user)
        .annotate(
            article_count=_count_of(Article.objects.filter(project=OuterRef("pk"))),
            claim_count=_count_of(Claim.objects.filter(project=OuterRef("pk"))),
            pending_count=_count_of(
                MatchCandidate.objects.filter(project=OuterRef("pk"), state=CandidateState.PENDING)
            ),
        )
        .order_by("name")
    )


def project_api_list(*, user: AnyUser) -> QuerySet[Project]:
    """The user's projects with the user's role in each (superusers act as owners) and counts."""
    # An anonymous user (pk None) has no membership row: id 0 matches none.
    memberships = Membership.objects.filter(project=OuterRef("pk"), user_id=user.pk or 0)
    role = memberships.values("role")[:1]
    fallback = Role.OWNER.value if getattr(user, "is_superuser", False) else ""
    return project_overview(user=user).annotate(
        my_role=Coalesce(Subquery(role, output_field=CharField()), Value(fallback))
    )


def article_list(*, user: AnyUser, project: Project) -> QuerySet[Article]:
    """A project's articles with their outlet and number of distinct claims, newest first."""
    return annotation_selectors.article_list(user=user, project=project).annotate(
        claim_count=Count("annotations__claim", distinct=True)
    )


def article_api_list(*, user: AnyUser) -> QuerySet[Article]:
    """Articles of the user's projects with outlet and number of mentions (text is loaded)."""
    mentions = Annotation.objects.filter(article=OuterRef("pk"))
    return annotation_selectors.article_api_list(user=user).annotate(
        annotation_count=_count_of(mentions, "article")
    )


def article_mentions(*, article: Article) -> QuerySet[Annotation]:
    """The reader's highlights: an article's mentions in text order, each with its claim.

    Only the columns the reader shows: a claim's embedding alone would cost more to read and
    parse than the rest of the page's rows together."""
    return (
        Annotation.objects.filter(article=article)
        .select_related("claim")
        .only(*READER_MENTION_FIELDS)
        .order_by("start", "-end", "pk")
    )


# What the reader draws of a mention (highlights, side panel, orphan count) and of its claim.
READER_MENTION_FIELDS = (
    "article_id",
    "claim_id",
    "start",
    "end",
    "exact",
    "anchor_state",
    "claim__statement",
    "claim__status",
    "claim__kind",
)


def annotation_api_list(*, user: AnyUser) -> QuerySet[Annotation]:
    """Mentions in the user's projects with article, outlet, claim and author in one query."""
    return (
        Annotation.objects.filter(article__project__in=projects_for(user))
        .select_related("article", "article__source", "claim", "author")
        .defer("article__text", "claim__embedding", "claim__search_vector")
    )


def article_annotation_page(*, article: Article, offset: int, limit: int) -> list[Annotation]:
    """One page of an article's mentions in text order (the W3C AnnotationPage's items),
    each with the columns a Web Annotation shows and `article` the row given (not re-read)."""
    page = list(
        Annotation.objects.filter(article=article)
        .select_related("claim", "author")
        .only(*W3C_MENTION_FIELDS)
        .order_by("start", "end", "pk")[offset : offset + limit]
    )
    for mention in page:
        mention.article = article
    return page


# What claims.api.web_annotation writes of a mention, its claim and its author.
W3C_MENTION_FIELDS = (
    "article_id",
    "claim_id",
    "author_id",
    "start",
    "end",
    "exact",
    "prefix",
    "suffix",
    "created_at",
    "updated_at",
    "claim__statement",
    "author__username",
)
