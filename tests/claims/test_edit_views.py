"""Deleting a claim (confirmation, history) and moving a mention's span (validation, nudges,
re-anchoring) through the browser pages; roles owner / editor / viewer / outsider."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.models import AnchorState, Annotation, Claim
from claims.services.claims import MSG_SPAN_BLANK
from claims.services.edits import nudged_span
from tests.factories import AnnotationFactory, ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db

TEXT = "The bridge closed in May. Repairs cost 4 million euros. The mayor resigned."


@pytest.fixture
def mention(project) -> Annotation:
    article = ArticleFactory(project=project, text=TEXT)
    start = TEXT.index("Repairs")
    return AnnotationFactory(article=article, start=start, end=start + len("Repairs cost"))


def _span(mention):
    return reverse("mention-span", kwargs={"pk": mention.pk})


# --- Deleting a claim ---------------------------------------------------------------------


def test_claim_delete_asks_then_deletes_with_its_mentions(client, editor, project, mention) -> None:
    claim = mention.claim
    client.force_login(editor)
    url = reverse("claim-delete", kwargs={"pk": claim.pk})
    page = client.get(url)
    assert page.status_code == 200 and b"1 mention," in page.content
    assert Claim.objects.filter(pk=claim.pk).exists()
    response = client.post(url)
    assert response["Location"] == project.get_absolute_url()
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not Annotation.objects.filter(pk=mention.pk).exists()
    record = Claim.history.filter(id=claim.pk, history_type="-").get()
    assert record.history_user == editor


def test_claim_page_offers_delete_and_adjust_to_editors_only(client, editor, viewer, mention):
    url = mention.claim.get_absolute_url()
    delete = reverse("claim-delete", kwargs={"pk": mention.claim_id}).encode()
    client.force_login(editor)
    content = client.get(url).content
    assert delete in content and _span(mention).encode() in content
    client.force_login(viewer)
    content = client.get(url).content
    assert delete not in content and _span(mention).encode() not in content


@pytest.mark.parametrize(("persona", "status"), [("viewer", 403), ("outsider", 404)])
def test_viewer_and_outsider_cannot_delete_claims_or_move_mentions(
    client, request, mention, persona, status
) -> None:
    client.force_login(request.getfixturevalue(persona))
    url = reverse("claim-delete", kwargs={"pk": mention.claim_id})
    assert client.get(url).status_code == status
    assert client.post(url).status_code == status
    assert client.get(_span(mention)).status_code == status
    assert client.post(_span(mention), {"start": 0, "end": 10}).status_code == status
    assert Claim.objects.filter(pk=mention.claim_id).exists()
    mention.refresh_from_db()
    assert mention.exact == "Repairs cost"


# --- Moving a mention's span --------------------------------------------------------------


def test_editor_selects_a_new_span(client, editor, mention) -> None:
    client.force_login(editor)
    start = TEXT.index("Repairs")
    end = start + len("Repairs cost 4 million euros")
    response = client.post(_span(mention), {"start": start, "end": end, "exact": TEXT[start:end]})
    assert response.status_code == 302
    mention.refresh_from_db()
    assert (mention.start, mention.end, mention.exact) == (start, end, TEXT[start:end])
    assert mention.prefix.endswith("in May. ") and mention.suffix.startswith(". The mayor")
    assert mention.history.first().history_user == editor


def test_nudges_move_one_edge_by_a_word(client, owner, mention) -> None:
    client.force_login(owner)
    client.post(_span(mention), {"start": 0, "end": 0, "nudge": "end-later"})
    mention.refresh_from_db()
    assert mention.exact == "Repairs cost 4"
    client.post(_span(mention), {"start": 0, "end": 0, "nudge": "start-earlier"})
    mention.refresh_from_db()
    assert mention.exact == "May. Repairs cost 4"
    client.post(_span(mention), {"start": 0, "end": 0, "nudge": "end-earlier"})
    client.post(_span(mention), {"start": 0, "end": 0, "nudge": "start-later"})
    mention.refresh_from_db()
    assert mention.exact == "Repairs cost"


def test_nudged_span_walks_word_boundaries() -> None:
    text = "one two three"
    assert nudged_span(text=text, start=4, end=7, nudge="end-later") == (4, 13)
    assert nudged_span(text=text, start=4, end=13, nudge="end-earlier") == (4, 7)
    assert nudged_span(text=text, start=4, end=7, nudge="start-earlier") == (0, 7)
    assert nudged_span(text=text, start=0, end=13, nudge="start-later") == (4, 13)
    assert nudged_span(text=text, start=0, end=3, nudge="start-earlier") == (0, 3)
    assert nudged_span(text=text, start=8, end=13, nudge="end-later") == (8, 13)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": 30, "end": 10}, "must start before it ends"),
        ({"start": 0, "end": 9999}, "outside the article text"),
        ({"start": 25, "end": 26}, MSG_SPAN_BLANK),
        ({"start": 0, "end": 3, "exact": "Not"}, "does not match the article text"),
        ({"start": "x", "end": ""}, "Enter a whole number"),
        ({"start": 0, "end": 3, "nudge": "sideways"}, "sideways"),
    ],
)
def test_bad_span_gets_a_message_and_leaves_the_mention(
    client, editor, mention, data, message
) -> None:
    client.force_login(editor)
    response = client.post(_span(mention), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    mention.refresh_from_db()
    assert mention.exact == "Repairs cost"


def test_moving_onto_another_mention_of_the_claim_is_refused(client, editor, mention) -> None:
    other = AnnotationFactory(article=mention.article, claim=mention.claim, start=0, end=10)
    client.force_login(editor)
    response = client.post(_span(mention), {"start": other.start, "end": other.end})
    assert response.status_code == 400
    assert "already a mention" in response.content.decode()


def test_moving_an_orphaned_mention_anchors_it_again(client, editor, mention) -> None:
    Annotation.objects.filter(pk=mention.pk).update(anchor_state=AnchorState.ORPHANED)
    client.force_login(editor)
    client.post(_span(mention), {"start": 0, "end": 10})
    mention.refresh_from_db()
    assert mention.anchor_state == AnchorState.ANCHORED
    assert mention.exact == TEXT[:10]


def test_span_page_escapes_article_text(client, editor, project) -> None:
    text = "Before <script>alert(1)</script> the claim itself is here."
    article = ArticleFactory(project=project, text=text)
    mention = AnnotationFactory(
        article=article, claim=ClaimFactory(project=project), start=34, end=58
    )
    client.force_login(editor)
    content = client.get(_span(mention)).content.decode()
    assert "<script>alert(1)" not in content and "&lt;script&gt;" in content
