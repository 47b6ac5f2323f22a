"""Browser forms for claims: marking a span, editing, merging, relating, deciding candidates.

Forms only parse and validate input; the services do the work and check roles.
"""

from __future__ import annotations

from django import forms

from claims.models import Claim, ClaimKind, ClaimStatus, RelationKind, Stance


class MarkClaimForm(forms.Form):
    """A span selected in the reader: a new claim (statement...) or an existing `claim`.

    `exact` is the quote the browser saw at start-end; the service refuses the mark when the
    text there differs (the page was stale), instead of highlighting the wrong words.
    """

    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)
    exact = forms.CharField(strip=False)
    claim = forms.IntegerField(required=False, min_value=1)
    statement = forms.CharField(required=False, max_length=2000)
    kind = forms.ChoiceField(choices=ClaimKind.choices, initial=ClaimKind.FACT, required=False)
    status = forms.ChoiceField(
        choices=ClaimStatus.choices, initial=ClaimStatus.UNVERIFIED, required=False
    )
    stance = forms.ChoiceField(choices=Stance.choices, initial=Stance.ASSERTS, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("claim") and not (data.get("statement") or "").strip():
            raise forms.ValidationError("Give the claim a wording, or pick an existing claim.")
        return data


class ClaimEditForm(forms.Form):
    """Editing a claim; `version` is the one the editor saw, so a stale save is refused."""

    statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    kind = forms.ChoiceField(choices=ClaimKind.choices)
    status = forms.ChoiceField(choices=ClaimStatus.choices)
    verdict_summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Verdict summary"
    )
    tags = forms.CharField(required=False, help_text="Comma-separated.")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def for_claim(cls, claim: Claim) -> ClaimEditForm:
        return cls(
            initial={
                "statement": claim.statement,
                "kind": claim.kind,
                "status": claim.status,
                "verdict_summary": claim.verdict_summary,
                "tags": ", ".join(claim.tags),
                "notes": claim.notes,
                "version": claim.version,
            }
        )

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return sorted({tag.strip()[:50] for tag in raw.split(",") if tag.strip()})


class _OtherClaimField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Claim) -> str:  # type: ignore[override]
        return f"#{obj.pk} {obj.statement[:120]}"


class ClaimMergeForm(forms.Form):
    target = _OtherClaimField(queryset=Claim.objects.none(), label="Merge into")

    def __init__(self, *args: object, choices: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if choices is not None:
            self.fields["target"].queryset = choices  # type: ignore[attr-defined]


class ClaimRelateForm(forms.Form):
    kind = forms.ChoiceField(choices=RelationKind.choices, label="This claim")
    target = _OtherClaimField(queryset=Claim.objects.none(), label="Other claim")
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: object, choices: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if choices is not None:
            self.fields["target"].queryset = choices  # type: ignore[attr-defined]


class CandidateDecisionForm(forms.Form):
    ACCEPT = "accept"
    REJECT = "reject"
    RELATED = "related"

    decision = forms.ChoiceField(
        choices=[(ACCEPT, "Accept"), (REJECT, "Reject"), (RELATED, "Related, not the same")]
    )
