"""URLs for many rows of one route: reversed once, then only the pk changes.

A page listing a hundred claims or mentions would otherwise resolve the same route a hundred
times; `reverse` is far dearer than formatting an integer into a string.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

# A pk put in the route's place for a row's: the URL is cut where it appears (its last
# occurrence, so a host or prefix holding the same digits cannot be cut instead).
_PK_SLOT = 987654321


def pk_url(name: str, make: Callable[[str], str] = str) -> Callable[[int], str]:
    """A function from pk to the URL of route `name` (which takes one `pk`); `make` turns the
    reversed path into the URL wanted (e.g. the request's build_absolute_uri)."""
    head, _, tail = make(reverse(name, kwargs={"pk": _PK_SLOT})).rpartition(str(_PK_SLOT))
    return lambda pk: f"{head}{int(pk)}{tail}"
