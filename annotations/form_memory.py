"""Post/redirect/get for a form that failed: keep what was typed and why it failed in the
session, redirect to the page's own URL, and rebuild the form there once.

A reload then re-reads the page instead of re-posting, and the typed values survive the
redirect. Uploaded files cannot be kept: the page asks for the file again.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorList
from django.http import HttpRequest

SESSION_PREFIX = "failed-form:"

FormT = TypeVar("FormT", bound=forms.Form)


def form_remember(
    request: HttpRequest, *, key: str, form: forms.Form, extra: dict[str, Any] | None = None
) -> None:
    """Store the form's submitted text values, its errors and `extra` under `key`."""
    values = {
        name: request.POST.get(name, "")
        for name, field in form.fields.items()
        if not isinstance(field, forms.FileField)
    }
    request.session[SESSION_PREFIX + key] = {
        "values": values,
        "errors": {name: [str(e) for e in errors] for name, errors in form.errors.items()},
        "extra": extra or {},
    }


def form_recall(
    request: HttpRequest, *, key: str, form_class: type[FormT]
) -> tuple[FormT, dict[str, Any]] | None:
    """The remembered form (unbound, with the typed values as initial data and the stored
    errors shown) and its `extra`, or None; forgotten once recalled."""
    saved = request.session.pop(SESSION_PREFIX + key, None)
    if not isinstance(saved, dict):
        return None
    form = form_class(initial=saved.get("values") or {})
    for name, messages in (saved.get("errors") or {}).items():
        # An unbound form validates to no errors; these are the ones the POST had.
        if name == NON_FIELD_ERRORS:
            form.errors[name] = ErrorList(messages, error_class="nonfield")
        elif name in form.fields:
            form.errors[name] = ErrorList(messages)
    return form, saved.get("extra") or {}
