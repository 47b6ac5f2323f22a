"""Forms for the review desk's undo and bulk decisions (parsing only; services decide)."""

from __future__ import annotations

from typing import Any

from django import forms

MSG_BAD_IDS = "The selection is not a list of proposal numbers; reload the queue."


class _IdsField(forms.Field):
    """Repeated `name=<id>` values from checkboxes or hidden inputs."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, (list, tuple)) else ([value] if value else [])
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(MSG_BAD_IDS) from exc
        if any(i < 1 or i > 2**31 - 1 for i in ids):
            raise forms.ValidationError(MSG_BAD_IDS)
        return ids


class BulkDecisionForm(forms.Form):
    """Selected proposals (`ids`), or every one shown (`all` with the page's `visible` ids)."""

    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")])
    ids = _IdsField(required=False)
    visible = _IdsField(required=False)
    all = forms.BooleanField(required=False)

    def chosen_ids(self) -> list[int]:
        data = self.cleaned_data
        return list(data["visible"] if data["all"] else data["ids"])


class UndoForm(forms.Form):
    token = forms.CharField(max_length=80)
