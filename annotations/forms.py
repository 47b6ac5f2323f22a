"""Browser forms for projects and articles. Parsing only; services validate and save."""

from __future__ import annotations

import datetime as dt

from django import forms

MSG_ONE_SOURCE = "Paste the text, choose a file, or give a URL (one of the three)."


class ArticleAddForm(forms.Form):
    """Add an article by paste, upload (.txt/.md/.html) or URL, with optional metadata that
    wins over what the file or page says."""

    text = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "Paste the article text here"}),
        label="Paste text",
    )
    file = forms.FileField(
        required=False,
        label="or upload a file",
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.text,.md,.markdown,.html,.htm"}),
    )
    url = forms.URLField(
        required=False,
        label="or fetch a URL",
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )
    title = forms.CharField(required=False, max_length=500)
    outlet = forms.CharField(required=False, max_length=200)
    published_at = forms.DateField(
        required=False, label="Published", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        given = [
            bool((data.get("text") or "").strip()),
            bool(data.get("file")),
            bool(data.get("url")),
        ]
        if sum(given) != 1:
            raise forms.ValidationError(MSG_ONE_SOURCE)
        return data

    def metadata(self) -> dict[str, object]:
        """Title, outlet and date as the article services take them (blank: not given)."""
        data = self.cleaned_data
        published: dt.date | None = data.get("published_at")
        return {
            "title": data.get("title") or "",
            "outlet": data.get("outlet") or "",
            # Midnight UTC, as the command-line loader stores a bare date.
            "published_at": (
                dt.datetime.combine(published, dt.time(), tzinfo=dt.UTC) if published else None
            ),
        }
