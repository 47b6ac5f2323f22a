"""Claim page, marking from the reader, claim search, review queue and matrix: roles,
behaviour, escaping and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from claims import presentation
from claims.models import (
    Annotation,
    CandidateState,
    Claim,
    ClaimRelation,
    ClaimStatus,
    RelationKind,
)
from claims.selectors import claim_history
from claims.services import claim_update
from common.models import OutboxMessage
from tests.factories import (
    AliasFactory,
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    PassageFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

TEXT = "The battle for Bakhmut has lasted seven months. Russia denies heavy losses."
OTHER = "Fighting around Artyomovsk went on for 7 months, officials said."


@pytest.fixture
def article(project):
    return ArticleFactory(project=project, text=TEXT, source__name="Agency")


@pytest.fixture
def claim(project):
    return ClaimFactory(project=project, statement="The battle for Bakhmut lasted seven months")


@pytest.fixture
def mention(article, claim):
    return AnnotationFactory(article=article, claim=claim, start=0, end=47)


def _candidate(project, claim, *, text=OTHER, score=0.8, **kwargs):
    source = SourceFactory(project=project) if "outlet" not in kwargs else None
    other = ArticleFactory(
        project=project,
        text=text,
        source=source or SourceFactory(project=project, name=kwargs.pop("outlet")),
    )
    passage = PassageFactory(article=other, start=0, end=len(text))
    return MatchCandidateFactory(passage=passage, claim=claim, score=score, **kwargs)


# --- Claim page -----------------------------------------------------------------------------


def test_claim_page_shows_mentions_across_sources_with_context(
    client, viewer, claim, mention
) -> None:
    client.force_login(viewer)
    page = client.get(claim.get_absolute_url()).content.decode()
    assert claim.statement in page
    assert "Agency" in page
    assert "<mark>The battle for Bakhmut has lasted seven months.</mark>" in page
    assert mention.get_absolute_url() in page
    assert "Unverified" in page


def test_claim_page_shows_relations_candidates_and_history(client, editor, project, claim) -> None:
    other = ClaimFactory(project=project, statement="Bakhmut is the longest battle")
    ClaimRelation.objects.create(source_claim=claim, target_claim=other, kind=RelationKind.SUPPORTS)
    _candidate(project, claim)
    claim_update(claim=claim, actor=editor, status=ClaimStatus.TRUE)
    client.force_login(editor)
    page = client.get(claim.get_absolute_url()).content.decode()
    assert "supports</span>" in page
    assert "Bakhmut is the longest battle" in page
    assert "Fighting around Artyomovsk" in page
    assert "<del>Unverified</del> → <ins>True</ins>" in page


def test_claim_page_hides_claim_from_outsider(client, outsider, claim) -> None:
    client.force_login(outsider)
    assert client.get(claim.get_absolute_url()).status_code == 404


def test_viewer_sees_no_editing_controls(client, viewer, claim, mention) -> None:
    client.force_login(viewer)
    page = client.get(claim.get_absolute_url()).content.decode()
    for control in ("Edit claim", "Detach", "Merge this claim", "Relate to another"):
        assert control not in page


def test_claim_page_queries_do_not_grow_with_mentions(
    client, editor, project, claim, django_assert_max_num_queries
) -> None:
    for i in range(10):
        article = ArticleFactory(project=project, text=f"{TEXT} {i}")
        AnnotationFactory(article=article, claim=claim)
    client.force_login(editor)
    with django_assert_max_num_queries(14):
        client.get(claim.get_absolute_url())


def test_editor_edits_a_claim(client, editor, claim) -> None:
    client.force_login(editor)
    response = client.post(
        reverse("claim-edit", args=[claim.pk]),
        {
            "statement": "The battle lasted 7 months",
            "kind": "number",
            "status": "true",
            "tags": "bakhmut, duration",
            "version": claim.version,
        },
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.statement, claim.kind, claim.status) == (
        "The battle lasted 7 months",
        "number",
        "true",
    )
    assert claim.tags == ["bakhmut", "duration"]
    entries = presentation.history_entries(claim_history(claim=claim))
    assert entries[0].user == editor
    assert (
        "statement",
        "The battle for Bakhmut lasted seven months",
        "The battle lasted 7 months",
    ) in entries[0].changes


def test_stale_edit_is_refused_with_a_clear_conflict_message(client, editor, owner, claim) -> None:
    seen_version = claim.version
    claim_update(claim=claim, actor=owner, statement="Changed by the owner meanwhile")
    client.force_login(editor)
    response = client.post(
        reverse("claim-edit", args=[claim.pk]),
        {"statement": "My edit", "kind": "fact", "status": "false", "version": seen_version},
    )
    assert response.status_code == 412
    page = response.content.decode()
    assert "Someone else saved this claim" in page
    assert "Changed by the owner meanwhile" in page  # the claim as it is now
    assert "My edit" in page  # the editor's text is kept
    claim.refresh_from_db()
    assert claim.statement == "Changed by the owner meanwhile"


def test_viewer_cannot_edit_a_claim(client, viewer, claim) -> None:
    client.force_login(viewer)
    response = client.post(
        reverse("claim-edit", args=[claim.pk]),
        {"statement": "Hacked", "kind": "fact", "status": "true", "version": claim.version},
    )
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.statement != "Hacked"


def test_editor_detaches_a_mention_and_the_claim_stays(client, editor, claim, mention) -> None:
    client.force_login(editor)
    response = client.post(reverse("mention-detach", args=[mention.pk]))
    assert response.status_code == 302
    assert not Annotation.objects.filter(pk=mention.pk).exists()
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_viewer_cannot_detach_a_mention(client, viewer, mention) -> None:
    client.force_login(viewer)
    assert client.post(reverse("mention-detach", args=[mention.pk])).status_code == 403
    assert Annotation.objects.filter(pk=mention.pk).exists()


def test_detach_ignores_a_next_url_to_another_site(client, editor, claim, mention) -> None:
    client.force_login(editor)
    response = client.post(
        reverse("mention-detach", args=[mention.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == claim.get_absolute_url()


def test_editor_merges_a_claim_into_another(client, editor, project, claim, mention) -> None:
    target = ClaimFactory(project=project, statement="Bakhmut battle: seven months")
    client.force_login(editor)
    response = client.post(reverse("claim-merge", args=[claim.pk]), {"target": target.pk})
    assert response["Location"] == target.get_absolute_url()
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert Annotation.objects.get(pk=mention.pk).claim == target


def test_merge_target_must_be_in_the_same_project(client, editor, claim) -> None:
    foreign = ClaimFactory()
    client.force_login(editor)
    client.post(reverse("claim-merge", args=[claim.pk]), {"target": foreign.pk})
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_editor_relates_claims_and_a_repeat_is_reported(client, editor, project, claim) -> None:
    other = ClaimFactory(project=project)
    client.force_login(editor)
    url = reverse("relation-create", args=[claim.pk])
    data = {"kind": RelationKind.CONTRADICTS, "target": other.pk, "note": ""}
    assert client.post(url, data).status_code == 302
    response = client.post(url, data, follow=True)
    assert "already related" in response.content.decode()
    assert ClaimRelation.objects.filter(source_claim=claim, target_claim=other).count() == 1


def test_viewer_cannot_merge_or_relate(client, viewer, project, claim) -> None:
    other = ClaimFactory(project=project)
    client.force_login(viewer)
    assert (
        client.post(reverse("claim-merge", args=[claim.pk]), {"target": other.pk}).status_code
        == 403
    )
    response = client.post(
        reverse("relation-create", args=[claim.pk]), {"kind": "supports", "target": other.pk}
    )
    assert response.status_code == 403


# --- Reader XHR: search and mark ------------------------------------------------------------


def test_claim_search_finds_claims_by_every_typed_word(client, viewer, project, claim) -> None:
    ClaimFactory(project=project, statement="Russia denies losses")
    ClaimFactory(statement="Bakhmut in another project")
    client.force_login(viewer)
    response = client.get(reverse("claim-search", args=[project.slug]), {"q": "bakh MONTHS"})
    results = response.json()["results"]
    assert [r["id"] for r in results] == [claim.pk]
    assert results[0]["statement"] == claim.statement


def test_claim_search_hides_project_from_outsider(client, outsider, project) -> None:
    client.force_login(outsider)
    response = client.get(reverse("claim-search", args=[project.slug]), {"q": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Project not found."}


def _mark(client, article, **fields):
    data = {"start": 0, "end": 47, "exact": TEXT[:47], **fields}
    return client.post(reverse("mention-create", args=[article.pk]), data)


def test_editor_marks_a_span_as_a_new_claim_and_matching_is_queued(
    client, editor, article, django_capture_on_commit_callbacks
) -> None:
    client.force_login(editor)
    with django_capture_on_commit_callbacks() as callbacks:
        response = _mark(client, article, statement="Bakhmut: seven months", kind="number")
    assert response.status_code == 201
    body = response.json()
    mention = Annotation.objects.get(pk=body["id"])
    assert (mention.start, mention.end, mention.exact) == (0, 47, TEXT[:47])
    assert mention.suffix == TEXT[47 : 47 + 32]
    assert mention.claim.statement == "Bakhmut: seven months"
    assert mention.claim.kind == "number"
    assert body["claim"]["url"] == mention.claim.get_absolute_url()
    assert callbacks
    assert OutboxMessage.objects.filter(task_name="claims.match_claim").exists()


def test_editor_attaches_a_span_to_an_existing_claim(client, editor, article, claim) -> None:
    client.force_login(editor)
    response = _mark(client, article, start=48, end=75, exact=TEXT[48:75], claim=claim.pk)
    assert response.status_code == 201
    assert Annotation.objects.get(pk=response.json()["id"]).claim == claim


def test_mark_with_a_stale_quote_is_refused(client, editor, article) -> None:
    client.force_login(editor)
    response = _mark(
        client, article, exact="Something else entirely, not in the text", statement="x"
    )
    assert response.status_code == 409
    assert "does not match" in response.json()["detail"]
    assert not Annotation.objects.exists()


def test_mark_needs_a_wording_or_a_claim(client, editor, article) -> None:
    client.force_login(editor)
    response = _mark(client, article)
    assert response.status_code == 400
    assert "wording" in response.json()["detail"]


def test_viewer_cannot_mark(client, viewer, article) -> None:
    client.force_login(viewer)
    response = _mark(client, article, statement="Sneaky")
    assert response.status_code == 403
    assert "editor" in response.json()["detail"]
    assert not Annotation.objects.exists()


def test_outsider_cannot_mark(client, outsider, article) -> None:
    client.force_login(outsider)
    assert _mark(client, article, statement="x").status_code == 404


def test_attaching_to_a_claim_of_another_project_is_refused(client, editor, article) -> None:
    foreign = ClaimFactory()
    client.force_login(editor)
    response = _mark(client, article, claim=foreign.pk)
    assert response.status_code == 404
    assert not Annotation.objects.exists()


def test_mark_without_csrf_token_is_refused(editor, article) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = _mark(client, article, statement="x")
    assert response.status_code == 403
    assert not Annotation.objects.exists()


# --- Review queue ---------------------------------------------------------------------------


def test_review_queue_lists_pending_candidates_best_first(
    client, editor, project, claim, mention
) -> None:
    low = _candidate(project, claim, text="Lower scoring passage about the battle.", score=0.6)
    high = _candidate(project, claim, score=0.9, outlet="TASS")
    _candidate(project, claim, text="Already decided passage.", state=CandidateState.REJECTED)
    _candidate(project, claim, text="Below the threshold passage.", score=0.2)
    client.force_login(editor)
    response = client.get(reverse("review-queue", args=[project.slug]))
    items = response.context["items"]
    assert [i.candidate.pk for i in items] == [high.pk, low.pk]
    assert response.context["total"] == 2
    page = response.content.decode()
    assert "Already decided passage" not in page
    # Kept for ranking only: below the project's threshold, not a proposal to review.
    assert "Below the threshold passage" not in page
    assert "<kbd>a</kbd> accept" in page
    assert "Mention in Agency" in page


def test_review_queue_marks_words_shared_with_the_claim(
    client, editor, project, claim, mention
) -> None:
    AliasFactory(project=project, canonical="Bakhmut", variant="Artyomovsk")
    _candidate(project, claim)
    client.force_login(editor)
    page = client.get(reverse("review-queue", args=[project.slug])).content.decode()
    assert "<mark>Artyomovsk</mark>" in page
    assert "<mark>7</mark> <mark>months</mark>" in page
    assert "<mark>officials</mark>" not in page


def test_review_queue_shows_signals_with_negative_evidence_flagged(
    client, editor, project, claim
) -> None:
    _candidate(
        project,
        claim,
        signals={
            "semantic": 0.71,
            "numbers": {"match": ["7"], "conflict": ["3"]},
            "negation": True,
        },
    )
    client.force_login(editor)
    page = client.get(reverse("review-queue", args=[project.slug])).content.decode()
    assert '<span class="signal">semantic: 0.71</span>' in page
    assert '<span class="signal">numbers match: 7</span>' in page
    assert '<span class="signal negative">numbers conflict: 3</span>' in page
    assert '<span class="signal negative">negation: yes</span>' in page


def test_review_queue_escapes_article_text(client, editor, project, claim) -> None:
    _candidate(project, claim, text="<img src=x onerror=alert(1)> Bakhmut months")
    client.force_login(editor)
    page = client.get(reverse("review-queue", args=[project.slug])).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_review_queue_query_count_does_not_grow_with_candidates(
    client, editor, project, claim, mention, django_assert_max_num_queries
) -> None:
    for i in range(15):
        _candidate(project, claim, text=f"{OTHER} Version {i}.")
    client.force_login(editor)
    # One of them lists the outlets for the queue's filter form.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("review-queue", args=[project.slug]))
    assert len(response.context["items"]) == 15


def test_review_queue_hides_project_from_outsider(client, outsider, project) -> None:
    client.force_login(outsider)
    assert client.get(reverse("review-queue", args=[project.slug])).status_code == 404


def test_viewer_sees_the_queue_without_decision_buttons(client, viewer, project, claim) -> None:
    _candidate(project, claim)
    client.force_login(viewer)
    page = client.get(reverse("review-queue", args=[project.slug])).content.decode()
    assert "Fighting around" in page
    assert 'data-decision="accept"' not in page


def _decide(client, candidate, decision):
    return client.post(reverse("candidate-decide", args=[candidate.pk]), {"decision": decision})


def test_accepting_a_candidate_creates_the_mention(client, editor, project, claim) -> None:
    candidate = _candidate(project, claim)
    client.force_login(editor)
    response = _decide(client, candidate, "accept")
    assert response.status_code == 200
    assert response.json()["state"] == "accepted"
    candidate.refresh_from_db()
    assert candidate.annotation.claim == claim
    assert candidate.annotation.exact == OTHER
    assert candidate.reviewer == editor
    assert response.json()["mention_url"] == candidate.annotation.get_absolute_url()


@pytest.mark.parametrize(("decision", "state"), [("reject", "rejected"), ("related", "related")])
def test_rejecting_or_marking_related_is_remembered(
    client, editor, project, claim, decision, state
) -> None:
    candidate = _candidate(project, claim)
    client.force_login(editor)
    assert _decide(client, candidate, decision).json()["state"] == state
    candidate.refresh_from_db()
    assert candidate.state == state
    assert not Annotation.objects.exists()


def test_deciding_twice_reports_the_first_decision(client, editor, project, claim) -> None:
    candidate = _candidate(project, claim)
    client.force_login(editor)
    _decide(client, candidate, "reject")
    response = _decide(client, candidate, "accept")
    assert response.status_code == 409
    assert "already rejected" in response.json()["detail"]


def test_viewer_cannot_decide(client, viewer, project, claim) -> None:
    candidate = _candidate(project, claim)
    client.force_login(viewer)
    response = _decide(client, candidate, "accept")
    assert response.status_code == 403
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.PENDING


def test_outsider_cannot_decide(client, outsider, project, claim) -> None:
    candidate = _candidate(project, claim)
    client.force_login(outsider)
    assert _decide(client, candidate, "accept").status_code == 404


def test_unknown_decision_is_a_bad_request(client, editor, project, claim) -> None:
    candidate = _candidate(project, claim)
    client.force_login(editor)
    assert _decide(client, candidate, "maybe").status_code == 400


# --- Matrix ---------------------------------------------------------------------------------


def _dated_article(project, source, day, text):
    return ArticleFactory(
        project=project,
        source=source,
        text=text,
        published_at=dt.datetime(2023, 3, day, tzinfo=dt.UTC),
    )


def test_matrix_marks_which_outlet_carries_a_claim_and_where_it_came_first(
    client, viewer, project, claim
) -> None:
    early, late = (
        SourceFactory(project=project, name="AP"),
        SourceFactory(project=project, name="RT"),
    )
    SourceFactory(project=project, name="Silent")
    AnnotationFactory(article=_dated_article(project, late, 29, TEXT), claim=claim)
    AnnotationFactory(article=_dated_article(project, early, 28, OTHER), claim=claim)
    client.force_login(viewer)
    response = client.get(reverse("claim-matrix", args=[project.slug]))
    matrix = response.context["matrix"]
    assert [s.name for s in matrix.sources] == ["AP", "RT", "Silent"]
    ap, rt, silent = matrix.rows[0].cells
    assert ap.is_first and not rt.is_first and silent is None
    assert matrix.rows[0].source_count == 2
    assert 'class="cell on first"' in response.content.decode()


def test_matrix_dates_nothing_by_an_undated_article(client, viewer, project, claim) -> None:
    dated, undated = (
        SourceFactory(project=project, name="AP"),
        SourceFactory(project=project, name="Blog"),
    )
    AnnotationFactory(article=_dated_article(project, dated, 28, TEXT), claim=claim)
    # Loaded first, but undated: the day it was loaded is not when the blog said it.
    blog = ArticleFactory(project=project, source=undated, text=OTHER, published_at=None)
    AnnotationFactory(article=blog, claim=claim)
    only_undated = ClaimFactory(project=project)
    AnnotationFactory(article=blog, claim=only_undated, start=0, end=4)
    client.force_login(viewer)
    response = client.get(reverse("claim-matrix", args=[project.slug]))
    rows = {row.claim.pk: row for row in response.context["matrix"].rows}
    ap, the_blog = rows[claim.pk].cells
    assert ap.is_first and not the_blog.is_first and the_blog.first_seen is None
    assert rows[only_undated.pk].first_seen is None
    html = response.content.decode()
    assert "undated" in html and 'title="1 mention, undated"' in html


def test_matrix_query_count_does_not_grow_with_claims(
    client, editor, project, django_assert_max_num_queries
) -> None:
    source = SourceFactory(project=project)
    for i in range(12):
        article = _dated_article(project, source, 1 + i, f"{TEXT} {i}")
        AnnotationFactory(article=article)
    client.force_login(editor)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("claim-matrix", args=[project.slug]))
    assert len(response.context["matrix"].rows) == 12


def test_matrix_hides_project_from_outsider(client, outsider, project) -> None:
    client.force_login(outsider)
    assert client.get(reverse("claim-matrix", args=[project.slug])).status_code == 404


# --- Presentation helpers (pure) ------------------------------------------------------------


def test_mark_matches_meets_number_words_plurals_and_aliases() -> None:
    pieces = presentation.mark_matches(
        "Artyomovsk held for 7 month", ["Bakhmut held seven months"], {"artyomovsk": "bakhmut"}
    )
    assert [text for text, matched in pieces if matched] == ["Artyomovsk", "held", "7", "month"]
    assert "".join(text for text, _ in pieces) == "Artyomovsk held for 7 month"


def test_signal_rows_flag_negative_numbers_and_conflicts() -> None:
    rows = presentation.signal_rows(
        {
            "lexical": -0.2,
            "dates": {"conflict": [], "match": ["2023-03-29"]},
            "numbers": {"conflict": [["7 months", "3 months"]]},
            "ok": 0.5,
        }
    )
    assert [(r.name, r.value, r.negative) for r in rows] == [
        ("lexical", "-0.20", True),
        ("dates match", "2023-03-29", False),
        ("numbers conflict", "7 months vs 3 months", True),
        ("ok", "0.50", False),
    ]
