"""Every admin page renders, actions work, and staff see only their own projects."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from annotations.models import Article, ProcessingState, Role
from common.models import OutboxMessage
from tests.factories import (
    AliasFactory,
    AnnotationFactory,
    ArticleFactory,
    MatchCandidateFactory,
    MembershipFactory,
    PassageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_with_data(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    annotation = AnnotationFactory(
        article=ArticleFactory(text="<script>alert(1)</script> The dam held.")
    )
    candidate = MatchCandidateFactory(passage=PassageFactory(article=annotation.article))
    AliasFactory(project=candidate.project)
    return client, annotation


def test_every_changelist_and_change_page_renders(admin_client_with_data) -> None:
    client, _ = admin_client_with_data
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change
        if model_admin.has_add_permission(
            type("R", (), {"user": UserFactory.build(is_superuser=True, is_active=True)})()
        ):
            add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
            assert client.get(add).status_code == 200, add


def test_article_text_is_escaped_in_the_admin(admin_client_with_data) -> None:
    client, annotation = admin_client_with_data
    url = reverse("admin:claims_annotation_change", args=[annotation.pk])
    body = client.get(url).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_reprocess_action_queues_articles(admin_client_with_data) -> None:
    client, annotation = admin_client_with_data
    article = annotation.article
    Article.objects.filter(pk=article.pk).update(processing_state=ProcessingState.PROCESSED)
    response = client.post(
        reverse("admin:annotations_article_changelist"),
        {"action": "reprocess", "_selected_action": [article.pk]},
        follow=True,
    )
    assert "1 article(s) queued" in response.content.decode()
    article.refresh_from_db()
    assert article.processing_state == ProcessingState.PENDING
    assert OutboxMessage.objects.filter(task_name="annotations.process_article").exists()


def test_staff_member_sees_only_their_projects(client) -> None:
    mine = ArticleFactory(title="Mine")
    ArticleFactory(title="Theirs")
    staff = UserFactory(username="staffer", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_article", "change_article"])
    )
    MembershipFactory(project=mine.project, user=staff, role=Role.VIEWER)
    client.force_login(staff)
    body = client.get(reverse("admin:annotations_article_changelist")).content.decode()
    assert "Mine" in body and "Theirs" not in body
    change = client.get(reverse("admin:annotations_article_change", args=[mine.pk]))
    assert change.status_code == 200
    assert 'name="title"' not in change.content.decode()  # viewer role: read-only
