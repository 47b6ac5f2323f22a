"""Hostile input to every browser form and the API's writes: malformed bodies, odd encodings,
hostile values. Whatever comes in, the answer is never a 5xx, and nothing already stored is
lost or changed by a refused request."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from annotations.models import Article
from claims.models import Claim
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    MembershipFactory,
    PassageFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "-1",
            "0",
            "99999999999999999999999",
            "1e309",
            "NaN",
            "[" * 3000,
            '{"a":' * 2000,
            "<script>alert(1)</script>",
            "=cmd|' /C calc'!A0",
            "\ud800",
            "\u202e\u0645\u0631\u062d\u0628\u0627",
            "http://127.0.0.1:99999/",
            "file:///etc/passwd",
            "2026-13-45T25:61:00+24:00",
        ]
    ),
)
FIELDS = [
    "text", "title", "url", "outlet", "published_at", "statement", "kind", "status", "tags",
    "notes", "version", "start", "end", "exact", "prefix", "suffix", "claim", "stance",
    "target", "relation", "decision", "kind_of", "q", "revision",
]  # fmt: skip


@pytest.fixture
def world():
    project = ProjectFactory()
    user = UserFactory()
    MembershipFactory(project=project, user=user, role="owner")
    article = ArticleFactory(project=project)
    PassageFactory(article=article, ordinal=0, start=0, end=10, text=article.text[:10])
    claim = ClaimFactory(project=project)
    other = ClaimFactory(project=project)
    mention = AnnotationFactory(article=article, claim=claim, start=0, end=5)
    candidate = MatchCandidateFactory(claim=other)
    client = Client()
    client.force_login(user)
    urls = [
        f"/projects/{project.slug}/articles/add/",
        f"/articles/{article.pk}/mentions/",
        f"/claims/{claim.pk}/edit/",
        f"/claims/{claim.pk}/merge/",
        f"/claims/{claim.pk}/relations/",
        f"/mentions/{mention.pk}/detach/",
        f"/candidates/{candidate.pk}/decide/",
        f"/projects/{project.slug}/claims/search/",
        "/api/articles/",
        "/api/claims/",
        f"/api/claims/{claim.pk}/",
        "/api/annotations/",
        "/api/relations/",
        f"/api/candidates/{candidate.pk}/",
    ]
    return client, urls, (article, claim, other)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    url_index=st.integers(min_value=0, max_value=13),
    values=st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=6),
    as_json=st.booleans(),
    raw=st.one_of(st.none(), st.binary(max_size=300)),
)
@example(url_index=0, values={"text": "\ud800"}, as_json=False, raw=None)
@example(url_index=2, values={"statement": "\ud800"}, as_json=False, raw=None)
def test_no_input_gets_a_server_error_or_loses_data(world, url_index, values, as_json, raw):
    client, urls, (article, _, _) = world
    url = urls[url_index]
    text_before = Article.objects.get(pk=article.pk).text
    claims_before = Claim.objects.count()
    if raw is not None:
        kind = "application/json" if as_json else "application/x-www-form-urlencoded"
        response = client.post(url, data=raw, content_type=kind)
    elif as_json or url.startswith("/api/"):
        method = client.patch if url.rstrip("/").split("/")[-1].isdigit() else client.post
        response = method(url, data=values, content_type="application/json")
    else:
        # Sent as a browser would: percent-encoded UTF-8, a lone surrogate as the bytes a
        # hostile client can still put on the wire.
        body = urlencode(values, encoding="utf-8", errors="surrogatepass")
        response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500, (url, values, raw, response.content[:300])
    # The article's text is only ever changed through a revision, never by a refused post.
    assert Article.objects.filter(pk=article.pk).exists()
    if response.status_code >= 400:
        assert Article.objects.get(pk=article.pk).text == text_before
        assert Claim.objects.count() == claims_before
