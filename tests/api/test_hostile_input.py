"""Hostile input answers a clear 4xx with a message, through the API and the browser forms."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Article
from annotations.services.extraction import MSG_BINARY
from annotations.services.fetching import MSG_URL_INVALID
from tests.api.test_errors import assert_json_error

PORT_OUT_OF_RANGE = "http://news.example:99999/story"
# Valid UTF-8 text whose NUL byte lies past the part of the file sniffed for binary data.
LATE_NUL = ("The council met on Monday. " * 400).encode() + b"\x00 and then it ended."
NESTED_TAGS = "[" * 5000 + "]" * 5000


def test_url_with_a_port_out_of_range_is_a_400_in_the_api(client_for, project) -> None:
    response = client_for("editor").post(
        "/api/articles/from-url/", {"project": project.pk, "url": PORT_OUT_OF_RANGE}, format="json"
    )
    body = assert_json_error(response, 400)
    assert body["detail"] == MSG_URL_INVALID.format(url=PORT_OUT_OF_RANGE)
    assert not Article.objects.exists()


def test_url_with_a_port_out_of_range_is_refused_in_the_form(client, editor, project) -> None:
    client.force_login(editor)
    url = f"/projects/{project.slug}/articles/add/"
    response = client.post(url, {"url": PORT_OUT_OF_RANGE}, follow=True)
    # Post/redirect/get: the refusal is shown on the project page, not on the POST URL.
    assert response.redirect_chain and response.redirect_chain[-1][1] == 302
    assert response.status_code == 200
    assert "is not an http(s) address" in response.content.decode()
    assert not Article.objects.exists()


def test_nul_byte_after_the_sniffed_head_is_refused_in_the_api(client_for, project) -> None:
    assert b"\x00" not in LATE_NUL[:8192]
    upload = SimpleUploadedFile("late.txt", LATE_NUL, content_type="text/plain")
    response = client_for("editor").post(
        "/api/articles/upload/", {"project": project.pk, "file": upload}, format="multipart"
    )
    body = assert_json_error(response, 400)
    assert body["detail"] == MSG_BINARY.format(name="late.txt")
    assert not Article.objects.exists()


def test_nul_byte_after_the_sniffed_head_is_refused_in_the_form(client, editor, project) -> None:
    client.force_login(editor)
    upload = SimpleUploadedFile("late.txt", LATE_NUL, content_type="text/plain")
    response = client.post(f"/projects/{project.slug}/articles/add/", {"file": upload}, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][1] == 302
    assert "is not text" in response.content.decode()
    assert not Article.objects.exists()


def test_deeply_nested_tags_are_a_400_on_create(client_for, project) -> None:
    payload = (
        f'{{"project": {project.pk}, "statement": "The bridge cost 40m.", "tags": {NESTED_TAGS}}}'
    )
    response = client_for("editor").post(
        "/api/claims/", data=payload, content_type="application/json"
    )
    assert_json_error(response, 400)


def test_deeply_nested_tags_are_a_400_on_update(client_for, claim) -> None:
    response = client_for("editor").patch(
        f"/api/claims/{claim.pk}/",
        data=f'{{"tags": {NESTED_TAGS}}}',
        content_type="application/json",
    )
    assert_json_error(response, 400)


@pytest.mark.parametrize("tags", [[["a"]], [{"a": 1}], [None], [""], ["x" * 51], ["a"] * 101])
def test_tags_must_be_a_flat_list_of_short_strings(client_for, project, tags) -> None:
    response = client_for("editor").post(
        "/api/claims/",
        {"project": project.pk, "statement": "The bridge cost 40m.", "tags": tags},
        format="json",
    )
    assert_json_error(response, 400)


def test_nul_in_the_claim_search_is_a_400_in_the_api(client_for, claim) -> None:
    assert_json_error(client_for("editor").get("/api/claims/?search=%00"), 400)


def test_nul_in_the_reader_claim_search_is_a_400(client, editor, project, claim) -> None:
    client.force_login(editor)
    response = client.get(f"/projects/{project.slug}/claims/search/?q=%00")
    assert response.status_code == 400
    assert response.json()["detail"]
