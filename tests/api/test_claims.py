"""Claims, mentions, relations and candidates through the API: same services as the browser,
same queued matching, ETag / If-Match, and 409 on decided or duplicate writes."""

from __future__ import annotations

import pytest

from claims.models import Annotation, AnnotationOrigin, CandidateState, Claim, ClaimRelation
from common.models import OutboxMessage
from tests.api.conftest import ARTICLE_TEXT
from tests.factories import ClaimFactory

MATCH_CLAIM = "claims.match_claim"


def queued(task: str, *args: int) -> bool:
    return OutboxMessage.objects.filter(task_name=task, args=list(args)).exists()


def test_creating_a_claim_queues_its_matching_after_commit(
    client_for, project, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for("editor").post(
            "/api/claims/",
            {
                "project": project.pk,
                "statement": "  The  bridge cost 40 million. ",
                "tags": ["cost"],
            },
            format="json",
        )
    assert response.status_code == 201
    claim = Claim.objects.get(pk=response.json()["id"])
    assert claim.statement == "The bridge cost 40 million."  # normalised by claim_create
    assert claim.created_by is not None and claim.created_by.username == "bob"
    assert response["ETag"] == '"1"'
    assert queued(MATCH_CLAIM, claim.pk)
    assert len(callbacks) == 1  # the outbox publish, run after commit


def test_marking_a_span_creates_claim_and_mention_through_the_reader_service(
    client_for, article, django_capture_on_commit_callbacks
) -> None:
    start = ARTICLE_TEXT.index("Critics")
    with django_capture_on_commit_callbacks():
        response = client_for(
            "editor"
        ).post(
            "/api/annotations/",
            {
                "article": article.pk,
                "start": start - 1,  # a leading newline: the service trims it
                "end": start + len("Critics said"),
                "statement": "Critics called the cost too high.",
                "exact": ARTICLE_TEXT[start - 1 : start + len("Critics said")],
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["start"], data["exact"]) == (start, "Critics said")
    assert data["claim_statement"] == "Critics called the cost too high."
    assert data["origin"] == AnnotationOrigin.EDITOR
    assert queued(MATCH_CLAIM, data["claim"])


def test_attaching_a_span_to_an_existing_claim_twice_is_a_conflict(
    client_for, article, claim
) -> None:
    client = client_for("editor")
    payload = {"article": article.pk, "start": 0, "end": 11, "claim": claim.pk}
    assert client.post("/api/annotations/", payload, format="json").status_code == 201
    again = client.post("/api/annotations/", payload, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_quote_that_does_not_match_the_text_is_refused(client_for, article) -> None:
    response = client_for("editor").post(
        "/api/annotations/",
        {"article": article.pk, "start": 0, "end": 11, "exact": "Something else"},
        format="json",
    )
    assert response.status_code == 409
    assert "does not match" in response.json()["detail"]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(30, 10, "must start before it ends"), (0, 10_000, "outside the article text")],
)
def test_bad_spans_are_refused_with_a_clear_message(
    client_for, article, start, end, message
) -> None:
    response = client_for("editor").post(
        "/api/annotations/", {"article": article.pk, "start": start, "end": end}, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_claim_of_another_project_cannot_be_attached(client_for, article, editor) -> None:
    from tests.factories import MembershipFactory

    foreign = ClaimFactory()
    MembershipFactory(project=foreign.project, user=editor)
    response = client_for("editor").post(
        "/api/annotations/",
        {"article": article.pk, "start": 0, "end": 11, "claim": foreign.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "different projects" in response.json()["detail"]


def test_claim_carries_its_version_as_etag_and_a_matching_if_match_updates(
    client_for, claim
) -> None:
    client = client_for("editor")
    etag = client.get(f"/api/claims/{claim.pk}/")["ETag"]
    assert etag == f'"{claim.version}"'
    response = client.patch(
        f"/api/claims/{claim.pk}/", {"status": "false"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert response.json()["status"] == "false"
    assert response["ETag"] == f'"{claim.version + 1}"'


def test_stale_if_match_is_refused_with_412_and_changes_nothing(client_for, claim) -> None:
    client = client_for("editor")
    stale = client.get(f"/api/claims/{claim.pk}/")["ETag"]
    client.patch(f"/api/claims/{claim.pk}/", {"notes": "checked"}, format="json")
    for method, payload in (
        ("patch", {"status": "true"}),
        ("put", {"statement": "Other wording.", "kind": "fact", "status": "true"}),
    ):
        response = getattr(client, method)(
            f"/api/claims/{claim.pk}/", payload, format="json", HTTP_IF_MATCH=stale
        )
        assert response.status_code == 412
        assert response.json()["code"] == "precondition_failed"
    claim.refresh_from_db()
    assert (claim.status, claim.statement, claim.version) == ("unverified", claim.statement, 2)


def test_patch_without_if_match_is_allowed_and_if_match_star_matches_any(client_for, claim) -> None:
    client = client_for("editor")
    assert (
        client.patch(f"/api/claims/{claim.pk}/", {"notes": "a"}, format="json").status_code == 200
    )
    star = client.patch(
        f"/api/claims/{claim.pk}/", {"notes": "b"}, format="json", HTTP_IF_MATCH="*"
    )
    assert star.status_code == 200


def test_malformed_if_match_is_bad_request(client_for, claim) -> None:
    response = client_for("editor").patch(
        f"/api/claims/{claim.pk}/", {"notes": "a"}, format="json", HTTP_IF_MATCH="yesterday"
    )
    assert response.status_code == 400
    assert "If-Match" in response.json()["detail"]


def test_changing_the_wording_queues_matching_again(client_for, claim) -> None:
    client_for("editor").patch(
        f"/api/claims/{claim.pk}/", {"statement": "New words."}, format="json"
    )
    assert queued(MATCH_CLAIM, claim.pk)


def test_accepting_a_candidate_creates_the_mention_and_a_second_decision_conflicts(
    client_for, candidate
) -> None:
    client = client_for("editor")
    response = client.post(f"/api/candidates/{candidate.pk}/accept/")
    assert response.status_code == 200
    data = response.json()
    assert (data["state"], data["reviewer"]) == (CandidateState.ACCEPTED, "bob")
    mention = Annotation.objects.get(pk=data["annotation"])
    assert (mention.start, mention.end, mention.origin) == (
        candidate.start,
        candidate.end,
        AnnotationOrigin.CANDIDATE,
    )
    for action in ("accept", "reject", "related"):
        again = client.post(f"/api/candidates/{candidate.pk}/{action}/")
        assert again.status_code == 409
        assert "already accepted" in again.json()["detail"]


def test_rejected_and_related_candidates_are_remembered(client_for, candidate) -> None:
    response = client_for("editor").post(f"/api/candidates/{candidate.pk}/related/")
    assert response.json()["state"] == CandidateState.RELATED
    pending = client_for("viewer").get("/api/candidates/", {"state": "pending"}).json()
    assert pending["results"] == []


def test_relating_claims_twice_the_same_way_conflicts(client_for, project, claim) -> None:
    other = ClaimFactory(project=project)
    payload = {"source_claim": claim.pk, "target_claim": other.pk, "kind": "contradicts"}
    client = client_for("editor")
    created = client.post("/api/relations/", payload, format="json")
    assert created.status_code == 201
    assert ClaimRelation.objects.filter(pk=created.json()["id"], kind="contradicts").exists()
    assert client.post("/api/relations/", payload, format="json").status_code == 409
    listed = client.get("/api/relations/", {"claim": other.pk}).json()["results"]
    assert [r["id"] for r in listed] == [created.json()["id"]]


def test_claims_list_filters_and_searches(client_for, project, claim, mention) -> None:
    ClaimFactory(project=project, statement="The mayor resigned.", status="false", kind="fact")
    client = client_for("viewer")
    false_claims = client.get("/api/claims/", {"status": "false"}).json()["results"]
    assert [c["statement"] for c in false_claims] == ["The mayor resigned."]
    in_article = client.get("/api/claims/", {"article": mention.article_id}).json()["results"]
    assert [c["id"] for c in in_article] == [claim.pk]
    assert in_article[0]["mention_count"] == 1
    found = client.get("/api/claims/", {"search": "MAYOR"}).json()["results"]
    assert [c["statement"] for c in found] == ["The mayor resigned."]


def test_cursor_pages_walk_every_claim_once(client_for, project) -> None:
    for n in range(7):
        ClaimFactory(project=project, statement=f"Claim {n}")
    client = client_for("viewer")
    seen, url = [], "/api/claims/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)  # newest first


def test_a_saved_span_is_answered_as_it_is_then_read(client_for, article, claim) -> None:
    """The 201 body is built from the saved row, not read back: it must be what a read gives."""
    client = client_for("editor")
    start = article.text.index("Construction")
    for extra in ({"statement": "  Three years of work. "}, {"claim": claim.pk}):
        body = {"article": article.pk, "start": start - 1, "end": start + 12, **extra}
        response = client.post("/api/annotations/", body, format="json")
        assert response.status_code == 201, response.json()
        created = response.json()
        assert created == client.get(f"/api/annotations/{created['id']}/").json()
        assert created["exact"] == "Construction"
