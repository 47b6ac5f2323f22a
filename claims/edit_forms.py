"""Forms of the claim corrections: a mention's new span."""

from __future__ import annotations

from django import forms

from claims.services.edits import NUDGES

# An article longer than this is refused at load, so no span ends beyond it.
MAX_OFFSET = 10_000_000


class MentionSpanForm(forms.Form):
    """A new span by offsets (typed, or filled in by selecting text), or a nudge of one edge."""

    start = forms.IntegerField(min_value=0, max_value=MAX_OFFSET)
    end = forms.IntegerField(min_value=0, max_value=MAX_OFFSET)
    exact = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    nudge = forms.ChoiceField(required=False, choices=[(k, k) for k in NUDGES])
