"""Role matrix: every endpoint for owner, editor, viewer, outsider and anonymous.

Members read; owners and editors write; viewers get 403 on writes; outsiders get 404 on
anything of the project (lists simply leave it out); no credentials get 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import ARTICLE_TEXT
from tests.factories import ClaimFactory

PERSONAS = ["owner", "editor", "viewer", "outsider", "anonymous"]
READ = {"owner": 200, "editor": 200, "viewer": 200, "outsider": 404, "anonymous": 401}
LIST = {"owner": 200, "editor": 200, "viewer": 200, "outsider": 200, "anonymous": 401}


def write(ok: int) -> dict[str, int]:
    return {"owner": ok, "editor": ok, "viewer": 403, "outsider": 404, "anonymous": 401}


@dataclass
class Case:
    name: str
    method: str
    url: Callable[[dict[str, Any]], str]
    expected: dict[str, int]
    body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # For lists: the id that members see and outsiders must not.
    listed: Callable[[dict[str, Any]], int] | None = None


CASES = [
    Case(
        "projects list", "get", lambda s: "/api/projects/", LIST, listed=lambda s: s["project"].pk
    ),
    Case("project detail", "get", lambda s: f"/api/projects/{s['project'].pk}/", READ),
    Case(
        "sources list",
        "get",
        lambda s: "/api/sources/",
        LIST,
        listed=lambda s: s["article"].source_id,
    ),
    Case("source detail", "get", lambda s: f"/api/sources/{s['article'].source_id}/", READ),
    Case(
        "articles list", "get", lambda s: "/api/articles/", LIST, listed=lambda s: s["article"].pk
    ),
    Case("article detail", "get", lambda s: f"/api/articles/{s['article'].pk}/", READ),
    Case("article text", "get", lambda s: f"/api/articles/{s['article'].pk}/text/", READ),
    Case(
        "article annotations",
        "get",
        lambda s: f"/api/articles/{s['article'].pk}/annotations/",
        READ,
    ),
    Case(
        "article create",
        "post",
        lambda s: "/api/articles/",
        write(201),
        body=lambda s: {"project": s["project"].pk, "text": "A new article about the bridge."},
    ),
    Case(
        "annotations list",
        "get",
        lambda s: "/api/annotations/",
        LIST,
        listed=lambda s: s["mention"].pk,
    ),
    Case("annotation detail", "get", lambda s: f"/api/annotations/{s['mention'].pk}/", READ),
    Case(
        "annotation create",
        "post",
        lambda s: "/api/annotations/",
        write(201),
        body=lambda s: {
            "article": s["article"].pk,
            "start": 0,
            "end": 11,
            "statement": "Council acted.",
        },
    ),
    Case(
        "annotation delete", "delete", lambda s: f"/api/annotations/{s['mention'].pk}/", write(204)
    ),
    Case("claims list", "get", lambda s: "/api/claims/", LIST, listed=lambda s: s["claim"].pk),
    Case("claim detail", "get", lambda s: f"/api/claims/{s['claim'].pk}/", READ),
    Case(
        "claim create",
        "post",
        lambda s: "/api/claims/",
        write(201),
        body=lambda s: {"project": s["project"].pk, "statement": "The bridge cost 40 million."},
    ),
    Case(
        "claim patch",
        "patch",
        lambda s: f"/api/claims/{s['claim'].pk}/",
        write(200),
        body=lambda s: {"status": "true"},
    ),
    Case(
        "claim put",
        "put",
        lambda s: f"/api/claims/{s['claim'].pk}/",
        write(200),
        body=lambda s: {"statement": "It takes three years.", "kind": "fact", "status": "false"},
    ),
    Case("claim export", "get", lambda s: "/api/claims/export/", LIST),
    Case("claimreviews list", "get", lambda s: "/api/claims/claimreviews/", LIST),
    Case("claimreview", "get", lambda s: f"/api/claims/{s['verdict_claim'].pk}/claimreview/", READ),
    Case("relations list", "get", lambda s: "/api/relations/", LIST),
    Case(
        "relation create",
        "post",
        lambda s: "/api/relations/",
        write(201),
        body=lambda s: {
            "source_claim": s["claim"].pk,
            "target_claim": s["verdict_claim"].pk,
            "kind": "supports",
        },
    ),
    Case(
        "candidates list",
        "get",
        lambda s: "/api/candidates/",
        LIST,
        listed=lambda s: s["candidate"].pk,
    ),
    Case("candidate detail", "get", lambda s: f"/api/candidates/{s['candidate'].pk}/", READ),
    Case(
        "candidate accept",
        "post",
        lambda s: f"/api/candidates/{s['candidate'].pk}/accept/",
        write(200),
    ),
    Case(
        "candidate reject",
        "post",
        lambda s: f"/api/candidates/{s['candidate'].pk}/reject/",
        write(200),
    ),
    Case(
        "candidate related",
        "post",
        lambda s: f"/api/candidates/{s['candidate'].pk}/related/",
        write(200),
    ),
]


@pytest.fixture
def story(project, article, claim, mention, candidate) -> dict[str, Any]:
    verdict_claim = ClaimFactory(
        project=project, statement="The cost was 40 million.", status="true"
    )
    return {
        "project": project,
        "article": article,
        "claim": claim,
        "mention": mention,
        "candidate": candidate,
        "verdict_claim": verdict_claim,
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_role_matrix(case: Case, persona: str, story, client_for) -> None:
    client = client_for(persona)
    body = case.body(story) if case.body else None
    response = getattr(client, case.method)(case.url(story), body, format="json")
    assert response.status_code == case.expected[persona], response.content[:300]
    if response.status_code >= 400:
        assert "detail" in response.json()
    if case.listed is not None and response.status_code == 200:
        ids = [item["id"] for item in response.json()["results"]]
        assert (case.listed(story) in ids) == (persona != "outsider")


def test_export_for_outsider_holds_no_claim_of_the_project(story, client_for) -> None:
    response = client_for("outsider").get("/api/claims/export/", {"project": story["project"].pk})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"[]"


def test_unauthenticated_request_is_told_how_to_authenticate(api_client, story) -> None:
    response = api_client.get("/api/claims/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_token_authentication_reads_the_api(api_client, editor, story) -> None:
    from knox.models import AuthToken

    _, token = AuthToken.objects.create(user=editor)
    response = api_client.get("/api/claims/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert story["claim"].pk in [c["id"] for c in response.json()["results"]]


def test_viewer_text_endpoint_serves_the_exact_stored_text(story, client_for) -> None:
    response = client_for("viewer").get(f"/api/articles/{story['article'].pk}/text/")
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == ARTICLE_TEXT


@pytest.mark.parametrize("persona", PERSONAS)
def test_any_signed_in_user_may_open_a_project_and_owns_it(persona: str, client_for) -> None:
    response = client_for(persona).post("/api/projects/", {"name": "Flood desk"}, format="json")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 201
    assert (response.json()["slug"], response.json()["my_role"]) == ("flood-desk", "owner")


def test_session_login_reads_and_writes_with_csrf_protection(editor, project) -> None:
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.get("/api/claims/").status_code == 200
    refused = client.post("/api/claims/", {"project": project.pk, "statement": "x"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/",
        "/api/claims/",
        "/api/claims/{claim}/",
        "/api/articles/{article}/",
        "/api/annotations/{mention}/",
        "/api/candidates/",
        "/api/articles/{article}/annotations/",
    ],
)
def test_browsable_api_pages_render_for_a_viewer(url, story, client_for) -> None:
    ids = {name: story[name].pk for name in ("claim", "article", "mention")}
    response = client_for("viewer").get(url.format(**ids), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
