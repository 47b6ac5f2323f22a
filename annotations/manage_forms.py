"""Forms of the project's own management pages: a new project, its members, article details.
Parsing only; services validate and save."""

from __future__ import annotations

import datetime as dt

from django import forms

from annotations.models import Article, Role


class ProjectCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("The project needs a name.")
        return name


class MemberAddForm(forms.Form):
    who = forms.CharField(
        label="Username or e-mail",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ArticleDetailsForm(forms.Form):
    title = forms.CharField(required=False, max_length=500)
    outlet = forms.CharField(required=False, max_length=200)
    url = forms.URLField(required=False, max_length=2000, assume_scheme="https", label="URL")
    published_at = forms.DateField(
        required=False, label="Published", widget=forms.DateInput(attrs={"type": "date"})
    )

    @classmethod
    def for_article(cls, article: Article) -> ArticleDetailsForm:
        published = article.published_at
        return cls(
            initial={
                "title": article.title,
                "outlet": article.source.name if article.source else "",
                "url": article.url,
                "published_at": published.astimezone(dt.UTC).date() if published else None,
            }
        )

    def published_datetime(self) -> dt.datetime | None:
        # Midnight UTC, as the add form and the command-line loader store a bare date.
        published: dt.date | None = self.cleaned_data.get("published_at")
        return dt.datetime.combine(published, dt.time(), tzinfo=dt.UTC) if published else None
