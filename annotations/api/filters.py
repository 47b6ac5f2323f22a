"""FilterSets for the texts API; the layer above reuses `IdFilter` and `date_range`.

Id filters take whole numbers only and never 400 on an id the user cannot see: the queryset
is already scoped to the user's projects, so a foreign id simply matches nothing.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

# Ids past a PostgreSQL bigint are refused as invalid input.
from annotations.api.permissions import MAX_ID
from annotations.models import (
    TEXT_SEARCH_CONFIG,
    Article,
    Passage,
    ProcessingState,
    Source,
)

MSG_DATETIME_EMPTY = "Give a date and time (ISO 8601), or leave the parameter out."
MSG_SEARCH_NUL = "The search contains a NUL character; type words to search for."
# Longer searches are refused rather than sent to PostgreSQL's parser.
SEARCH_MAX_LENGTH = 200


class SearchField(forms.CharField):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def validate(self, value: str) -> None:
        super().validate(value)
        if "\x00" in value:  # PostgreSQL refuses NUL in a query parameter
            raise forms.ValidationError(MSG_SEARCH_NUL, code="invalid")


class SearchFilter(filters.CharFilter):
    """`?q=`: full-text words, web-search syntax ("exact phrase", -word, or)."""

    field_class = SearchField


def text_query(value: str) -> SearchQuery:
    """The search the browser pages and the API share: the stemmed config of the vectors."""
    return SearchQuery(value, search_type="websearch", config=TEXT_SEARCH_CONFIG)


class IdField(forms.IntegerField):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """An id: `?project=3`. Not a decimal (NumberFilter's default would round 3.7 to 3)."""

    field_class = IdField


class UTCDateTimeField(IsoDateTimeField):
    """ISO 8601, moved to UTC before it reaches the database: Python accepts offsets up to
    ±23:59 that PostgreSQL refuses (±15:59), and an instant past year 1 or 9999 in UTC is
    simply invalid input."""

    def to_python(self, value: object) -> dt.datetime | None:
        if value == "":  # given but empty: the schema asks for a date-time, so say so
            raise forms.ValidationError(MSG_DATETIME_EMPTY, code="invalid")
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


def date_range(field: str, label: str) -> tuple[UTCDateTimeFilter, UTCDateTimeFilter]:
    """An (after, before) pair of inclusive ISO 8601 filters on a datetime field."""
    return (
        UTCDateTimeFilter(
            field_name=field, lookup_expr="gte", label=f"{label} on or after (ISO 8601)"
        ),
        UTCDateTimeFilter(
            field_name=field, lookup_expr="lte", label=f"{label} on or before (ISO 8601)"
        ),
    )


class SourceFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")

    class Meta:
        model = Source
        fields = ["project"]


class ArticleFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id")
    source = IdFilter(field_name="source_id")
    processing_state = filters.MultipleChoiceFilter(choices=ProcessingState.choices)
    language = filters.CharFilter()
    published_after, published_before = date_range("published_at", "Published")
    created_after, created_before = date_range("created_at", "Loaded")
    q = SearchFilter(method="filter_q", label="Words in the title or text")

    class Meta:
        model = Article
        fields = ["project", "source", "processing_state", "language"]

    def filter_q(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        # Passages carry the indexed vectors (GIN); titles are short enough to scan.
        passages = Passage.objects.filter(article=OuterRef("pk"), search_vector=text_query(value))
        return queryset.filter(Q(title__icontains=value) | Exists(passages))
