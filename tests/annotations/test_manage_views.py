"""Project creation, members, article details and deletion in the browser pages: roles
(owner / editor / viewer / outsider), the last-owner rule, confirmation and history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from annotations.models import Article, Membership, Project, Role
from annotations.services.members import MSG_LAST_OWNER, MSG_NO_SUCH_USER
from claims.models import Annotation
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    MembershipFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TEXT = "The bridge closed in May. Repairs cost 4 million euros. The mayor resigned."


# --- Creating a project -------------------------------------------------------------------


def test_any_signed_in_user_creates_a_project_and_owns_it(client, outsider) -> None:
    client.force_login(outsider)
    assert client.get(reverse("project-create")).status_code == 200
    response = client.post(reverse("project-create"), {"name": "Port strike", "description": ""})
    project = Project.objects.get(name="Port strike")
    assert response["Location"] == reverse("project-members", kwargs={"slug": project.slug})
    assert Membership.objects.get(project=project).role == Role.OWNER
    assert Membership.objects.get(project=project).user == outsider


def test_a_project_named_new_does_not_shadow_the_create_page(client, outsider) -> None:
    client.force_login(outsider)
    client.post(reverse("project-create"), {"name": "New"})
    assert Project.objects.get(name="New").slug != "new"


def test_blank_project_name_is_a_message_not_an_error(client, outsider) -> None:
    client.force_login(outsider)
    response = client.post(reverse("project-create"), {"name": "   "})
    assert response.status_code == 400
    assert not Project.objects.exists()


def test_anonymous_cannot_create_a_project(client) -> None:
    response = client.post(reverse("project-create"), {"name": "X"})
    assert response.status_code == 302 and not Project.objects.exists()


# --- Members ------------------------------------------------------------------------------


def _members(project):
    return reverse("project-members", kwargs={"slug": project.slug})


def _add(project):
    return reverse("member-add", kwargs={"slug": project.slug})


def _change(project, membership):
    return reverse("member-change", kwargs={"slug": project.slug, "pk": membership.pk})


def test_owner_adds_a_member_by_username_or_email(client, owner, project) -> None:
    UserFactory(username="dana", email="dana@paper.example")
    UserFactory(username="erin")
    client.force_login(owner)
    response = client.post(_add(project), {"who": "dana@paper.example", "role": "editor"})
    assert response.status_code == 302
    assert project.memberships.get(user__username="dana").role == Role.EDITOR
    client.post(_add(project), {"who": "ERIN", "role": "viewer"})
    assert project.memberships.get(user__username="erin").role == Role.VIEWER


def test_unknown_user_or_duplicate_member_gets_a_message(client, owner, editor, project) -> None:
    client.force_login(owner)
    response = client.post(_add(project), {"who": "nobody", "role": "editor"})
    assert response.status_code == 400
    assert MSG_NO_SUCH_USER.format(who="nobody") in response.content.decode()
    response = client.post(_add(project), {"who": "bob", "role": "viewer"})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert project.memberships.get(user=editor).role == Role.EDITOR
    response = client.post(_add(project), {"who": "bob", "role": "emperor"})
    assert response.status_code == 400


def test_owner_changes_a_role_and_removes_a_member(client, owner, editor, project) -> None:
    client.force_login(owner)
    membership = project.memberships.get(user=editor)
    client.post(_change(project, membership), {"role": "viewer", "change": "1"})
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
    client.post(_change(project, membership), {"role": "viewer", "remove": "1"})
    assert not project.memberships.filter(user=editor).exists()


def test_last_owner_can_be_neither_demoted_nor_removed(client, owner, project) -> None:
    client.force_login(owner)
    mine = project.memberships.get(user=owner)
    response = client.post(_change(project, mine), {"role": "editor"}, follow=True)
    assert MSG_LAST_OWNER in response.content.decode()
    client.post(_change(project, mine), {"remove": "1"})
    mine.refresh_from_db()
    assert mine.role == Role.OWNER
    # With a second owner the first may step down.
    second = MembershipFactory(project=project, user=UserFactory(username="olga"), role=Role.OWNER)
    client.post(_change(project, mine), {"role": "editor"})
    mine.refresh_from_db()
    assert mine.role == Role.EDITOR
    assert second.role == Role.OWNER


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_members_below_owner_see_the_list_but_cannot_change_it(
    client, request, owner, project, persona
) -> None:
    user = request.getfixturevalue(persona)
    client.force_login(user)
    page = client.get(_members(project))
    assert page.status_code == 200
    assert b"alice" in page.content and b'id="add-member"' not in page.content
    assert b"Change role" not in page.content
    assert client.post(_add(project), {"who": "mallory", "role": "owner"}).status_code == 403
    mine = project.memberships.get(user=owner)
    assert client.post(_change(project, mine), {"remove": "1"}).status_code == 403
    assert project.memberships.filter(user=owner, role=Role.OWNER).exists()


def test_outsider_learns_nothing_about_members(client, owner, outsider, project) -> None:
    client.force_login(outsider)
    mine = project.memberships.get(user=owner)
    assert client.get(_members(project)).status_code == 404
    assert client.post(_add(project), {"who": "mallory", "role": "owner"}).status_code == 404
    assert client.post(_change(project, mine), {"remove": "1"}).status_code == 404
    assert project.memberships.count() == 1


# --- Article details and deletion ----------------------------------------------------------


@pytest.fixture
def article(project) -> Article:
    return ArticleFactory(project=project, text=TEXT, title="Old title")


def test_editor_edits_article_details_not_its_text(client, editor, project, article) -> None:
    client.force_login(editor)
    url = reverse("article-edit", kwargs={"pk": article.pk})
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "Bridge shut",
            "outlet": "The Courier",
            "url": "https://courier.example/bridge",
            "published_at": "2024-05-02",
            "text": "Hacked text",
        },
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "Bridge shut"
    assert article.source.name == "The Courier"
    assert article.url == "https://courier.example/bridge"
    assert article.published_at == dt.datetime(2024, 5, 2, tzinfo=dt.UTC)
    assert article.text == TEXT
    assert article.history.first().history_user == editor


def test_bad_article_details_get_a_message(client, editor, article) -> None:
    client.force_login(editor)
    url = reverse("article-edit", kwargs={"pk": article.pk})
    response = client.post(url, {"url": "not a url at all", "published_at": "2024-13-45"})
    assert response.status_code == 400
    article.refresh_from_db()
    assert article.title == "Old title"


def test_article_edit_keeps_the_outlet_when_unchanged(client, editor, project) -> None:
    source = SourceFactory(project=project, name="AP")
    article = ArticleFactory(project=project, text=TEXT, source=source)
    client.force_login(editor)
    client.post(reverse("article-edit", kwargs={"pk": article.pk}), {"outlet": "AP"})
    article.refresh_from_db()
    assert article.source == source


def test_article_delete_asks_then_deletes_mentions_and_keeps_history(
    client, editor, project, article
) -> None:
    mention = AnnotationFactory(article=article, start=0, end=10)
    claim = mention.claim
    client.force_login(editor)
    url = reverse("article-delete", kwargs={"pk": article.pk})
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"1 mention " in confirm.content
    assert Article.objects.filter(pk=article.pk).exists()
    response = client.post(url)
    assert response["Location"] == project.get_absolute_url()
    assert not Article.objects.filter(pk=article.pk).exists()
    assert not Annotation.objects.filter(pk=mention.pk).exists()
    claim.refresh_from_db()  # the claim stays
    record = Article.history.filter(id=article.pk, history_type="-").get()
    assert record.history_user == editor and record.title == "Old title"
    assert Annotation.history.filter(id=mention.pk, history_type="-").exists()


@pytest.mark.parametrize("name", ["article-edit", "article-delete"])
def test_viewer_and_outsider_cannot_change_articles(
    client, viewer, outsider, article, name
) -> None:
    url = reverse(name, kwargs={"pk": article.pk})
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "x"}).status_code == 404
    article.refresh_from_db()
    assert article.title == "Old title"


def test_reader_shows_the_article_controls_to_editors_only(client, editor, viewer, article) -> None:
    url = reverse("article-read", kwargs={"pk": article.pk})
    edit = reverse("article-edit", kwargs={"pk": article.pk}).encode()
    client.force_login(editor)
    assert edit in client.get(url).content
    client.force_login(viewer)
    assert edit not in client.get(url).content
