"""Undo of review decisions, bulk accept/reject, the merge offer after a "same as" accept, and
the claim page's history of mentions and decisions."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from claims.activity import claim_activity
from claims.models import (
    Annotation,
    AnnotationOrigin,
    CandidateState,
    Claim,
    ClaimRelation,
    MatchCandidate,
    RelationKind,
)
from claims.services import (
    annotation_detach,
    candidate_accept,
    candidate_reject,
)
from claims.services.decisions import (
    MSG_UNDO_STALE,
    candidate_bulk_decide,
    candidate_undo,
    decision_token,
)
from common.errors import Conflict, PermissionDenied
from tests.factories import (
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    PassageFactory,
)

pytestmark = pytest.mark.django_db

TEXT = "The bridge will take three years to build, the minister said on Monday."
_ARTICLES = itertools.count(1)


def _proposal(project: Any, claim: Claim | None = None, **kwargs: Any) -> MatchCandidate:
    text = f"{TEXT} ({next(_ARTICLES)})"  # one article each: the project refuses duplicates
    article = ArticleFactory(project=project, text=text)
    passage = PassageFactory(article=article, start=0, end=len(text), text=text)
    claim = claim or ClaimFactory(project=project, statement="The bridge takes three years.")
    return MatchCandidateFactory(passage=passage, claim=claim, **kwargs)


def _same_as(project: Any) -> MatchCandidate:
    first = ClaimFactory(project=project, statement="The bridge takes three years.")
    second = ClaimFactory(project=project, statement="Building the bridge lasts 3 years.")
    return MatchCandidate.objects.create(
        project=project, claim=first, target_claim=second, score=0.9, engine_version="test"
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Undo: services -------------------------------------------------------------------------


def test_undo_of_an_accept_removes_the_mention_it_made_and_requeues(project, editor) -> None:
    candidate = candidate_accept(candidate=_proposal(project), actor=editor)
    mention_id = candidate.annotation_id
    assert mention_id is not None
    assert Annotation.objects.filter(pk=mention_id).exists()

    undone = candidate_undo(candidate=candidate, token=decision_token(candidate), actor=editor)

    assert undone.state == CandidateState.PENDING
    assert undone.reviewer is None and undone.annotation_id is None
    assert not Annotation.objects.filter(pk=mention_id).exists()
    texts = [entry.text for entry in claim_activity(claim=candidate.claim)]
    assert any(text.startswith("Decision undone (accepted)") for text in texts)
    assert any(text.startswith("Mention detached") for text in texts)


def test_undo_keeps_a_mention_the_editor_had_marked_by_hand(project, editor) -> None:
    candidate = candidate_accept(candidate=_proposal(project), actor=editor)
    mention_id = candidate.annotation_id
    assert mention_id is not None
    # The accept found the span already marked by an editor and reused that mention.
    Annotation.objects.filter(pk=mention_id).update(origin=AnnotationOrigin.EDITOR)

    candidate_undo(candidate=candidate, token=decision_token(candidate), actor=editor)

    assert Annotation.objects.filter(pk=mention_id).exists()


def test_undo_of_a_same_as_accept_removes_the_relation(project, editor) -> None:
    candidate = candidate_accept(candidate=_same_as(project), actor=editor)
    assert ClaimRelation.objects.filter(kind=RelationKind.SAME_AS).count() == 1
    candidate_undo(candidate=candidate, token=decision_token(candidate), actor=editor)
    assert not ClaimRelation.objects.exists()


def test_stale_undo_is_refused_when_the_candidate_was_decided_again(project, editor) -> None:
    candidate = candidate_reject(candidate=_proposal(project), actor=editor)
    stale = decision_token(candidate)
    candidate_undo(candidate=candidate, token=stale, actor=editor)
    candidate_accept(candidate=MatchCandidate.objects.get(pk=candidate.pk), actor=editor)

    with pytest.raises(Conflict) as err:
        candidate_undo(candidate=candidate, token=stale, actor=editor)

    assert err.value.message == MSG_UNDO_STALE.format(state="accepted")
    assert MatchCandidate.objects.get(pk=candidate.pk).state == CandidateState.ACCEPTED


def test_viewer_cannot_undo(project, editor, viewer) -> None:
    candidate = candidate_reject(candidate=_proposal(project), actor=editor)
    with pytest.raises(PermissionDenied):
        candidate_undo(candidate=candidate, token=decision_token(candidate), actor=viewer)


# --- Undo: views ----------------------------------------------------------------------------


def test_undo_from_the_queue_answers_json_and_a_stale_one_a_message(project, editor) -> None:
    client = _client(editor)
    candidate = _proposal(project)
    decided = client.post(
        reverse("candidate-decide", args=[candidate.pk]),
        {"decision": "reject"},
        HTTP_ACCEPT="application/json",
    ).json()
    assert decided["undo_url"] == reverse("candidate-undo", args=[candidate.pk])

    ok = client.post(
        decided["undo_url"], {"token": decided["token"]}, HTTP_ACCEPT="application/json"
    )
    assert ok.status_code == 200
    assert MatchCandidate.objects.get(pk=candidate.pk).state == CandidateState.PENDING

    again = client.post(
        decided["undo_url"], {"token": decided["token"]}, HTTP_ACCEPT="application/json"
    )
    assert again.status_code == 409
    assert "nothing to undo" in again.json()["detail"]


def test_undo_from_the_claim_page_redirects_back_with_history(project, editor) -> None:
    candidate = candidate_reject(candidate=_proposal(project), actor=editor)
    client = _client(editor)
    page = client.get(candidate.claim.get_absolute_url()).content.decode()
    assert reverse("candidate-undo", args=[candidate.pk]) in page
    assert "Proposal rejected: mention in article" in page

    response = client.post(
        reverse("candidate-undo", args=[candidate.pk]),
        {"token": decision_token(candidate), "next": candidate.claim.get_absolute_url()},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == candidate.claim.get_absolute_url()
    page = response.content.decode()
    assert "Decision undone: the proposal is back in the review queue." in page
    assert "Decision undone (rejected)" in page


def test_stale_undo_from_the_claim_page_shows_the_message(project, editor) -> None:
    candidate = candidate_reject(candidate=_proposal(project), actor=editor)
    client = _client(editor)
    response = client.post(
        reverse("candidate-undo", args=[candidate.pk]),
        {"token": "accepted@2000-01-01T00:00:00+00:00", "next": candidate.claim.get_absolute_url()},
        follow=True,
    )
    assert "was decided again since (it is now rejected)" in response.content.decode()
    assert MatchCandidate.objects.get(pk=candidate.pk).state == CandidateState.REJECTED


def test_undo_hides_the_candidate_from_outsiders(project, editor, outsider) -> None:
    candidate = candidate_reject(candidate=_proposal(project), actor=editor)
    response = _client(outsider).post(
        reverse("candidate-undo", args=[candidate.pk]), {"token": decision_token(candidate)}
    )
    assert response.status_code == 404


# --- Bulk decisions -------------------------------------------------------------------------


def test_bulk_reject_of_selected_proposals_reports_the_count(project, editor) -> None:
    first, second, third = (_proposal(project) for _ in range(3))
    candidate_accept(candidate=second, actor=editor)  # someone was faster for this one

    response = _client(editor).post(
        reverse("candidates-bulk", args=[project.slug]),
        {"decision": "reject", "ids": [first.pk, second.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "1 proposal rejected. 1 skipped" in page
    states = dict(MatchCandidate.objects.values_list("pk", "state"))
    assert states == {
        first.pk: CandidateState.REJECTED,
        second.pk: CandidateState.ACCEPTED,
        third.pk: CandidateState.PENDING,
    }
    assert reverse("candidate-undo", args=[first.pk]) in page  # "recently decided" undo


def test_bulk_accept_of_all_shown_decides_every_visible_proposal(project, editor) -> None:
    shown = [_proposal(project) for _ in range(3)]
    response = _client(editor).post(
        reverse("candidates-bulk", args=[project.slug]),
        {"decision": "accept", "all": "1", "visible": [c.pk for c in shown]},
    )
    assert response.status_code == 302
    assert MatchCandidate.objects.filter(state=CandidateState.ACCEPTED).count() == 3
    assert Annotation.objects.count() == 3


def test_bulk_service_counts_decided_and_skipped(project, editor) -> None:
    candidates = [_proposal(project) for _ in range(2)]
    result = candidate_bulk_decide(
        project=project,
        candidate_ids=[c.pk for c in candidates] + [999999],
        decision="reject",
        actor=editor,
    )
    assert (len(result.decided), result.skipped) == (2, 1)


def test_viewer_cannot_bulk_decide(project, viewer) -> None:
    candidate = _proposal(project)
    response = _client(viewer).post(
        reverse("candidates-bulk", args=[project.slug]),
        {"decision": "reject", "ids": [candidate.pk]},
    )
    assert response.status_code == 403
    assert MatchCandidate.objects.get(pk=candidate.pk).state == CandidateState.PENDING


def test_bulk_with_bad_input_gets_a_message_not_a_500(project, editor) -> None:
    client = _client(editor)
    url = reverse("candidates-bulk", args=[project.slug])
    for data in (
        {"decision": "reject", "ids": ["x"]},
        {"decision": "delete"},
        {"decision": "reject"},
    ):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert (
            'class="messages' in response.content.decode() or "error" in response.content.decode()
        )
    assert client.post(url, {"decision": "reject", "ids": ["x"]}, follow=True).context["messages"]


# --- Merge after a "same as" accept ---------------------------------------------------------


def test_same_as_accept_offers_the_merge_and_the_merge_leaves_one_claim(project, editor) -> None:
    candidate = _same_as(project)
    client = _client(editor)
    decided = client.post(
        reverse("candidate-decide", args=[candidate.pk]),
        {"decision": "accept"},
        HTTP_ACCEPT="application/json",
    ).json()
    assert decided["merge_url"] == reverse("candidate-merge-offer", args=[candidate.pk])

    offer = client.get(decided["merge_url"]).content.decode()
    assert candidate.target_claim is not None
    assert candidate.claim.statement in offer and candidate.target_claim.statement in offer
    merge_second_into_first = reverse("claim-merge", args=[candidate.target_claim_id])
    assert merge_second_into_first in offer

    client.post(merge_second_into_first, {"target": candidate.claim_id})

    assert list(Claim.objects.filter(project=project).values_list("pk", flat=True)) == [
        candidate.claim_id
    ]
    matrix = client.get(reverse("claim-matrix", args=[project.slug])).context["matrix"]
    assert len(matrix.rows) == 1


def test_merge_offer_is_refused_for_a_pending_proposal(project, editor) -> None:
    candidate = _same_as(project)
    response = _client(editor).get(reverse("candidate-merge-offer", args=[candidate.pk]))
    assert response.status_code == 302


# --- History of mentions and decisions ------------------------------------------------------


def test_claim_history_lists_attach_detach_and_decisions_with_their_authors(
    project, editor
) -> None:
    accepted = candidate_accept(candidate=_proposal(project), actor=editor)
    claim = accepted.claim
    rejected = candidate_reject(candidate=_proposal(project, claim=claim), actor=editor)
    assert accepted.annotation_id is not None
    mention = Annotation.objects.get(pk=accepted.annotation_id)
    annotation_detach(annotation=mention, actor=editor)

    entries = claim_activity(claim=claim)
    texts = [entry.text for entry in entries]
    assert f"Proposal accepted: mention in article #{accepted.article_id}" in texts
    assert f"Proposal rejected: mention in article #{rejected.article_id}" in texts
    assert sum(text.startswith("Mention attached") for text in texts) == 1
    assert sum(text.startswith("Mention detached") for text in texts) == 1
    decisions = [e for e in entries if e.text.startswith("Proposal")]
    assert all(e.user == editor for e in decisions)
