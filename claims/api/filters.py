"""FilterSets for claims, mentions, relations and candidates (the claim export filters like the
list).

Filters that look through mentions use EXISTS subqueries, never joins: a join would both
duplicate claims and cut the export's aggregates down to the filtered mentions.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters import rest_framework as filters

from annotations.api.filters import (
    IdFilter,
    SearchFilter,
    UTCDateTimeFilter,
    date_range,
    text_query,
)
from annotations.models import Passage
from claims.models import (
    AnchorState,
    Annotation,
    AnnotationOrigin,
    CandidateState,
    Claim,
    ClaimKind,
    ClaimOrigin,
    ClaimRelation,
    ClaimStatus,
    MatchCandidate,
    RelationKind,
    Stance,
)


class ClaimFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    status = filters.MultipleChoiceFilter(choices=ClaimStatus.choices)
    kind = filters.MultipleChoiceFilter(choices=ClaimKind.choices)
    origin = filters.MultipleChoiceFilter(choices=ClaimOrigin.choices)
    tag = filters.CharFilter(method="filter_tag", max_length=50, label="Claims with this tag")
    source = IdFilter(method="filter_source", label="Claims mentioned by this outlet")
    article = IdFilter(method="filter_article", label="Claims mentioned in this article")
    created_after, created_before = date_range("created_at", "Created")
    updated_after, updated_before = date_range("updated_at", "Changed")
    q = SearchFilter(method="filter_q", label="Words in the statement")
    published_after = UTCDateTimeFilter(
        method="filter_published_after", label="Mentioned in an article published on or after"
    )
    published_before = UTCDateTimeFilter(
        method="filter_published_before", label="Mentioned in an article published on or before"
    )

    class Meta:
        model = Claim
        fields = ["project", "status", "kind", "origin"]

    def filter_q(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        # The substring keeps half-typed words and stop-word-only searches finding something.
        return queryset.filter(Q(search_vector=text_query(value)) | Q(statement__icontains=value))

    def filter_published_after(
        self, queryset: QuerySet[Claim], name: str, value: object
    ) -> QuerySet[Claim]:
        mentions = Annotation.objects.filter(claim=OuterRef("pk"), article__published_at__gte=value)
        return queryset.filter(Exists(mentions))

    def filter_published_before(
        self, queryset: QuerySet[Claim], name: str, value: object
    ) -> QuerySet[Claim]:
        mentions = Annotation.objects.filter(claim=OuterRef("pk"), article__published_at__lte=value)
        return queryset.filter(Exists(mentions))

    def filter_tag(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        return queryset.filter(tags__contains=[value])

    def filter_source(self, queryset: QuerySet[Claim], name: str, value: int) -> QuerySet[Claim]:
        mentions = Annotation.objects.filter(claim=OuterRef("pk"), article__source_id=value)
        return queryset.filter(Exists(mentions))

    def filter_article(self, queryset: QuerySet[Claim], name: str, value: int) -> QuerySet[Claim]:
        return queryset.filter(
            Exists(Annotation.objects.filter(claim=OuterRef("pk"), article_id=value))
        )


class RelationFilter(filters.FilterSet):
    project = IdFilter(field_name="source_claim__project_id")
    kind = filters.MultipleChoiceFilter(choices=RelationKind.choices)
    claim = IdFilter(method="filter_claim", label="Relations from or to this claim")

    class Meta:
        model = ClaimRelation
        fields = ["project", "kind"]

    def filter_claim(
        self, queryset: QuerySet[ClaimRelation], name: str, value: int
    ) -> QuerySet[ClaimRelation]:
        return queryset.filter(Q(source_claim_id=value) | Q(target_claim_id=value))


class CandidateFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    state = filters.MultipleChoiceFilter(choices=CandidateState.choices)
    claim = IdFilter(field_name="claim_id")
    article = IdFilter(field_name="article_id")
    min_score = filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_min = filters.NumberFilter(field_name="score", lookup_expr="gte", label="Score from")
    score_max = filters.NumberFilter(field_name="score", lookup_expr="lte", label="Score up to")
    source = IdFilter(field_name="article__source_id", label="Proposed in this outlet")
    reviewer = IdFilter(field_name="reviewer_id", label="Decided by this user")
    created_after, created_before = date_range("created_at", "Proposed")
    q = SearchFilter(method="filter_q", label="Words in the claim or the passage")

    class Meta:
        model = MatchCandidate
        fields = ["project", "state", "claim", "article"]

    def filter_q(
        self, queryset: QuerySet[MatchCandidate], name: str, value: str
    ) -> QuerySet[MatchCandidate]:
        query = text_query(value)
        passages = Passage.objects.filter(pk=OuterRef("passage_id"), search_vector=query)
        claims = Claim.objects.filter(pk=OuterRef("claim_id"), search_vector=query)
        return queryset.filter(Exists(passages) | Exists(claims))


class AnnotationFilter(filters.FilterSet):
    project = IdFilter(field_name="article__project_id")
    article = IdFilter(field_name="article_id")
    claim = IdFilter(field_name="claim_id")
    source = IdFilter(field_name="article__source_id")
    anchor_state = filters.MultipleChoiceFilter(choices=AnchorState.choices)
    stance = filters.MultipleChoiceFilter(choices=Stance.choices)
    origin = filters.MultipleChoiceFilter(choices=AnnotationOrigin.choices)
    created_after, created_before = date_range("created_at", "Created")

    class Meta:
        model = Annotation
        fields = ["project", "article", "claim", "source", "anchor_state", "stance", "origin"]
