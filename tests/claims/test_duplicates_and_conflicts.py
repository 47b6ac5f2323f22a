"""The duplicate-wording warning (reader and API) and the field-by-field conflict view."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims.duplicates import MSG_DUPLICATE_WORDING
from claims.models import Annotation, Claim
from claims.services import claim_update
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db

TEXT = "The harbour budget doubled after the storms, auditors found on Friday."


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def existing(project) -> Claim:
    return ClaimFactory(project=project, statement="The harbour budget doubled.")


def _mark(client: Client, article: Any, **extra: str) -> Any:
    data = {"start": 0, "end": 28, "exact": TEXT[:28], **extra}
    return client.post(
        reverse("mention-create", args=[article.pk]), data, HTTP_ACCEPT="application/json"
    )


# --- Duplicate wording ----------------------------------------------------------------------


def test_reader_warns_of_a_claim_worded_the_same_and_links_it(project, editor, existing) -> None:
    article = ArticleFactory(project=project, text=TEXT)
    response = _mark(_client(editor), article, statement="  the HARBOUR   budget doubled. ")

    assert response.status_code == 409
    duplicate = response.json()["duplicate"]
    assert duplicate["existing_claim"] == existing.pk
    assert duplicate["url"] == existing.get_absolute_url()
    assert response.json()["detail"] == MSG_DUPLICATE_WORDING.format(pk=existing.pk)
    assert Claim.objects.count() == 1 and not Annotation.objects.exists()


def test_reader_creates_the_claim_anyway_when_the_editor_says_so(project, editor, existing) -> None:
    article = ArticleFactory(project=project, text=TEXT)
    response = _mark(
        _client(editor), article, statement="The harbour budget doubled.", allow_duplicate="1"
    )
    assert response.status_code == 201
    assert Claim.objects.count() == 2


def test_reader_can_use_the_existing_claim_instead(project, editor, existing) -> None:
    article = ArticleFactory(project=project, text=TEXT)
    response = _mark(_client(editor), article, claim=str(existing.pk))
    assert response.status_code == 201
    assert response.json()["claim"]["id"] == existing.pk


def test_a_claim_in_another_project_is_not_a_duplicate(project, editor) -> None:
    ClaimFactory(statement="The harbour budget doubled.")  # another project
    article = ArticleFactory(project=project, text=TEXT)
    response = _mark(_client(editor), article, statement="The harbour budget doubled.")
    assert response.status_code == 201


def test_api_creates_the_claim_with_a_warning_naming_the_existing_one(
    project, editor, existing
) -> None:
    client = APIClient()
    client.force_authenticate(editor)
    response = client.post(
        reverse("api:claim-list"),
        {"project": project.pk, "statement": "the harbour budget DOUBLED."},
        format="json",
    )
    assert response.status_code == 201
    (warning,) = response.json()["warnings"]
    assert warning["code"] == "duplicate_wording"
    assert warning["existing_claim"] == existing.pk
    assert warning["url"].endswith(reverse("api:claim-detail", args=[existing.pk]))
    fresh = client.post(
        reverse("api:claim-list"),
        {"project": project.pk, "statement": "A new claim entirely."},
        format="json",
    )
    assert fresh.status_code == 201 and "warnings" not in fresh.json()


# --- The conflict view ----------------------------------------------------------------------


def test_conflict_view_shows_both_versions_and_keeps_the_other_editors_values(
    project, editor, owner
) -> None:
    claim = ClaimFactory(project=project, statement="The harbour budget doubled.", notes="")
    seen = claim.version
    # The owner adds a note and a tag meanwhile; the editor changes the statement and status.
    claim_update(claim=claim, actor=owner, notes="Source: audit report p. 4", tags=["budget"])
    client = _client(editor)
    response = client.post(
        reverse("claim-edit", args=[claim.pk]),
        {
            "statement": "The harbour budget more than doubled.",
            "kind": "fact",
            "status": "true",
            "verdict_summary": "",
            "tags": "",
            "notes": "",
            "version": seen,
        },
    )
    assert response.status_code == 412
    rows = {row.name: row for row in response.context["conflict_rows"]}
    assert set(rows) == {"statement", "status", "tags", "notes"}
    assert rows["notes"].theirs == "Source: audit report p. 4" and not rows["notes"].keep_mine
    assert rows["tags"].theirs == "budget" and not rows["tags"].keep_mine
    assert rows["statement"].keep_mine and rows["status"].keep_mine
    page = response.content.decode()
    assert 'id="conflict-notes"' in page and "Source: audit report p. 4" in page

    # "Save again" with what the form preselects: both editors' changes survive.
    chosen = {name: (row.mine if row.keep_mine else row.theirs) for name, row in rows.items()}
    saved = client.post(
        reverse("claim-edit", args=[claim.pk]),
        {**response.context["conflict_same"], **chosen, "version": claim.version + 1},
    )
    assert saved.status_code == 302
    claim.refresh_from_db()
    assert claim.statement == "The harbour budget more than doubled."
    assert claim.status == "true"
    assert claim.notes == "Source: audit report p. 4"
    assert claim.tags == ["budget"]


def test_a_field_both_editors_changed_keeps_theirs_unless_chosen(project, editor, owner) -> None:
    claim = ClaimFactory(project=project, statement="The harbour budget doubled.")
    seen = claim.version
    claim_update(claim=claim, actor=owner, statement="The harbour budget tripled.")
    response = _client(editor).post(
        reverse("claim-edit", args=[claim.pk]),
        {
            "statement": "The harbour budget rose.",
            "kind": "fact",
            "status": "unverified",
            "version": seen,
        },
    )
    (row,) = response.context["conflict_rows"]
    assert row.both_changed and not row.keep_mine
    page = response.content.decode()
    assert 'value="The harbour budget tripled." checked' in page
    assert 'value="The harbour budget rose.">' in page
