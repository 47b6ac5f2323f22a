"""Bad input gets a JSON error with a clear message and the right status, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import ClaimFactory, ProjectFactory

HUGE = "99999999999999999999999"


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["code"]
    return body


def test_malformed_json_is_a_400(client_for, project) -> None:
    response = client_for("editor").post(
        "/api/claims/", data='{"project": 1, "statement": ', content_type="application/json"
    )
    assert "JSON parse error" in assert_json_error(response, 400)["detail"]


@pytest.mark.parametrize("payload", ["[]", '"text"', "12", "null"])
def test_a_body_that_is_not_an_object_is_a_400(client_for, payload) -> None:
    for url in ("/api/claims/", "/api/articles/", "/api/annotations/", "/api/relations/"):
        response = client_for("editor").post(url, data=payload, content_type="application/json")
        assert_json_error(response, 400)


def test_missing_fields_name_the_field(client_for, project) -> None:
    body = assert_json_error(
        client_for("editor").post("/api/claims/", {"project": project.pk}, format="json"), 400
    )
    assert body["detail"] == "statement: This field is required."
    assert body["errors"] == {"statement": ["This field is required."]}


@pytest.mark.parametrize("raw", ["abc", "1.5", True, None, [1], {"id": 1}])
def test_malformed_project_ids_are_a_400(client_for, raw) -> None:
    response = client_for("editor").post(
        "/api/claims/", {"project": raw, "statement": "x"}, format="json"
    )
    assert_json_error(response, 400)


@pytest.mark.parametrize("raw", [0, -3, HUGE, 987654])
def test_unknown_project_ids_are_a_404(client_for, raw) -> None:
    response = client_for("editor").post(
        "/api/claims/", {"project": raw, "statement": "x"}, format="json"
    )
    assert_json_error(response, 404)


def test_a_project_the_user_is_not_in_is_not_found_not_forbidden(client_for) -> None:
    foreign = ProjectFactory()
    response = client_for("editor").post(
        "/api/claims/", {"project": foreign.pk, "statement": "x"}, format="json"
    )
    assert assert_json_error(response, 404)["detail"] == "The project was not found."


@pytest.mark.parametrize(
    "url",
    [
        "/api/claims/{huge}/",
        "/api/claims/abc/",
        "/api/claims/-1/",
        "/api/annotations/{huge}/",
        "/api/articles/{huge}/annotations/",
        "/api/articles/{huge}/text/",
        "/api/claims/{huge}/claimreview/",
        "/api/candidates/{huge}/",
        "/api/projects/{huge}/",
    ],
)
def test_unknown_ids_in_the_path_are_a_404(client_for, project, url) -> None:
    assert_json_error(client_for("viewer").get(url.format(huge=HUGE)), 404)


def test_unknown_and_foreign_ids_in_the_body_are_a_400(client_for, article) -> None:
    foreign_claim = ClaimFactory()
    for claim_id in (foreign_claim.pk, HUGE, "x"):
        response = client_for("editor").post(
            "/api/annotations/",
            {"article": article.pk, "start": 0, "end": 5, "claim": claim_id},
            format="json",
        )
        assert "claim" in assert_json_error(response, 400)["errors"]


@pytest.mark.parametrize(
    ("start", "end"), [(-1, 5), (5, 5), (0, HUGE), ("a", 5), (1.5, 4), (None, 3)]
)
def test_spans_of_the_wrong_shape_are_a_400(client_for, article, start, end) -> None:
    response = client_for("editor").post(
        "/api/annotations/", {"article": article.pk, "start": start, "end": end}, format="json"
    )
    assert_json_error(response, 400)


@pytest.mark.parametrize(
    "params",
    [
        {"project": HUGE},
        {"project": "abc"},
        {"status": "bogus"},
        {"created_after": "not a date"},
        {"created_after": "99999-01-01"},
        {"page_size": "abc"},
    ],
)
def test_bad_filters_are_a_400_or_ignored_never_a_500(client_for, claim, params) -> None:
    response = client_for("viewer").get("/api/claims/", params)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert_json_error(response, 400)


def test_an_invalid_cursor_is_a_404(client_for, claim) -> None:
    assert_json_error(client_for("viewer").get("/api/claims/", {"cursor": "garbage"}), 404)


def test_nul_characters_are_refused_not_sent_to_the_database(client_for, project, claim) -> None:
    client = client_for("editor")
    assert_json_error(
        client.post("/api/claims/", {"project": project.pk, "statement": "a\x00b"}, format="json"),
        400,
    )
    response = client.get("/api/claims/", {"search": "a\x00b", "tag": "x\x00"})
    assert response.status_code in (200, 400)


def test_unsupported_method_and_media_type_are_json_errors(client_for, claim) -> None:
    client = client_for("editor")
    assert_json_error(client.delete(f"/api/claims/{claim.pk}/"), 405)
    form = client.post("/api/claims/", {"statement": "x"})  # multipart, not JSON
    assert_json_error(form, 415)


def test_empty_statement_is_refused(client_for, claim) -> None:
    response = client_for("editor").patch(
        f"/api/claims/{claim.pk}/", {"statement": "   "}, format="json"
    )
    assert_json_error(response, 400)


@pytest.mark.parametrize(
    "value", ["2646-11-17T21:34:56-23:52", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"]
)
def test_date_filters_with_offsets_postgres_refuses_are_handled(client_for, claim, value) -> None:
    response = client_for("viewer").get("/api/claims/", {"created_before": value})
    assert response.status_code in (200, 400)
