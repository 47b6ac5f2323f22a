"""Hostile input to the project management and correction forms (new project, members,
article details, a mention's span): never a 5xx, and a refused post changes nothing."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.models import Article, Membership, Role
from claims.models import Annotation
from tests.factories import AnnotationFactory, ArticleFactory, MembershipFactory, UserFactory
from tests.test_fuzz_forms import HOSTILE

pytestmark = pytest.mark.django_db

TEXT = "The bridge closed in May. Repairs cost 4 million euros. The mayor resigned."
FIELDS = [
    "name", "description", "who", "role", "change", "remove", "title", "outlet", "url",
    "published_at", "start", "end", "exact", "nudge",
]  # fmt: skip


@pytest.fixture
def world(client, project):
    owner = MembershipFactory(project=project, user=UserFactory(username="olga"), role=Role.OWNER)
    other = MembershipFactory(project=project, user=UserFactory(username="ed"), role=Role.EDITOR)
    article = ArticleFactory(project=project, text=TEXT, title="Kept")
    mention = AnnotationFactory(article=article, start=0, end=10)
    client.force_login(owner.user)
    urls = [
        reverse("project-create"),
        reverse("member-add", kwargs={"slug": project.slug}),
        reverse("member-change", kwargs={"slug": project.slug, "pk": owner.pk}),
        reverse("member-change", kwargs={"slug": project.slug, "pk": other.pk}),
        reverse("article-edit", kwargs={"pk": article.pk}),
        reverse("mention-span", kwargs={"pk": mention.pk}),
    ]
    return client, urls, owner, article, mention


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    url_index=st.integers(min_value=0, max_value=5),
    values=st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=6),
)
def test_no_desk_form_input_gets_a_server_error(world, url_index, values) -> None:
    client, urls, owner, article, mention = world
    before = Annotation.objects.get(pk=mention.pk).exact
    body = urlencode(values, encoding="utf-8", errors="surrogatepass")
    response = client.post(
        urls[url_index], data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500, (urls[url_index], values, response.content[:300])
    assert Membership.objects.filter(pk=owner.pk, role=Role.OWNER).exists()  # the last owner
    assert Article.objects.get(pk=article.pk).text == TEXT
    if response.status_code >= 400:
        assert Annotation.objects.get(pk=mention.pk).exact == before
