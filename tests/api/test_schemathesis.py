"""Schemathesis against /api/schema/: generated requests (valid and invalid) to every operation,
through the WSGI app, as an authenticated owner. No response may be a server error, and every
response must match what the schema documents (status, content type, body)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from annotations.services.extraction import ExtractedArticle

pytestmark = pytest.mark.schemathesis

# Examples per operation and generation mode: ~30 operations stay within about a minute.
MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
_RESOURCE = re.compile(r"^/api/(\w+)/\{id\}/")
# List-level actions whose names an {id} may take, e.g. from the negative phase: such a path is
# a different operation, fuzzed under its own name.
SIBLING_ROUTES = {"export", "claimreviews", "upload", "from-url"}


@pytest.fixture(autouse=True)
def keep_test_connection(db: None) -> Iterator[None]:
    """Requests through the raw WSGI app would close the database connection at their end, and
    with it the test's transaction; Django's own test client unhooks the same signals."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def story(owner, project, article, claim, mention, candidate, monkeypatch) -> dict[str, Any]:
    """Real ids to put in paths half of the time, a token, and no network for from-url."""

    def offline_fetch(url: str) -> ExtractedArticle:
        return ExtractedArticle(text=f"Fetched from {url}", url=url)

    monkeypatch.setattr("annotations.services.articles.fetch_url", offline_fetch)
    return {
        "token": AuthToken.objects.create(user=owner)[1],
        "ids": {
            "projects": project.pk,
            "sources": article.source_id,
            "articles": article.pk,
            "annotations": mention.pk,
            "claims": claim.pk,
            "candidates": candidate.pk,
        },
        "turn": itertools.count(),
    }


# Loaded from the app's own /api/schema/ (no database needed to serve it). The token endpoints
# are left out (tests/api/test_tokens.py covers them): one takes a password, not the token every
# other call carries, and the revoke endpoints would end that token for the calls after them.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).exclude(
    path_regex="^/api/auth/token/"
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # The same examples every run (CI never flakes on a new random draw) and no example
    # database written into the work tree; a failure prints its reproducing request.
    derandomize=True,
    database=None,
)
def test_api_never_fails_and_matches_its_schema(case, story) -> None:
    if str((case.path_parameters or {}).get("id")) in SIBLING_ROUTES:
        return  # "/api/claims/{id}/" with id "export" is another documented endpoint
    resource = _RESOURCE.match(case.operation.path)
    if resource and resource.group(1) in story["ids"] and next(story["turn"]) % 2:
        case.path_parameters = {
            **(case.path_parameters or {}),
            "id": story["ids"][resource.group(1)],
        }
    case.call_and_validate(headers={"Authorization": f"Token {story['token']}"}, checks=CHECKS)
