"""The API's FilterSets bound to a browser page's GET form, so both narrow lists the same way.

A page's form leaves empty fields in the URL (`?q=&status=`); the API would refuse an empty
date or choice, so empty values are dropped before binding. Invalid values are reported, not
raised: django-filter applies the valid fields and leaves the invalid ones out.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import QueryDict
from django_filters import FilterSet

F = TypeVar("F", bound=FilterSet)
# Parameters of the page itself, never filters: the project comes from the URL path.
PAGE_PARAMETERS = ("page", "format", "project")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _whole_day(key: str, value: str) -> str:
    """A date picker's "before 2024-01-05" includes that day: up to its last second."""
    if key.endswith("_before") and _DATE_ONLY.fullmatch(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return value  # left for the filter to refuse with its message
        return f"{value}T23:59:59"
    return value


def page_query(params: QueryDict, *, whole_days: bool = True) -> QueryDict:
    """The filters of a page's URL without its empty fields and page-only parameters.

    With `whole_days`, a date-only "before" becomes that day's last second: what the filters
    and the export links get. Links back to a page keep the date as typed, for its date field.
    """
    query = QueryDict(mutable=True)
    for key, values in params.lists():
        kept = [v.strip() for v in values if v.strip()]
        if whole_days:
            kept = [_whole_day(key, v) for v in kept]
        if kept and key not in PAGE_PARAMETERS:
            query.setlist(key, kept)
    return query


def bind(filterset_class: type[F], params: QueryDict, queryset: QuerySet[Any]) -> F:
    """The FilterSet bound to the page's filters, validated (its `.qs` is then safe to read)."""
    filterset = filterset_class(data=page_query(params), queryset=queryset)
    filterset.is_valid()
    return filterset


def errors(*filtersets: FilterSet) -> list[str]:
    """Each invalid filter once, as "Label: message", for the page's error box."""
    found: dict[str, str] = {}
    for filterset in filtersets:
        for name, messages in filterset.errors.items():
            label = filterset.form.fields[name].label if name in filterset.form.fields else name
            found.setdefault(name, f"{label or name}: {' '.join(messages)}")
    return list(found.values())


def narrowed(filterset: FilterSet, queryset: QuerySet[Model]) -> QuerySet[Model]:
    """Another queryset narrowed by an already validated FilterSet's valid fields."""
    return filterset.filter_queryset(queryset)  # type: ignore[no-any-return]
