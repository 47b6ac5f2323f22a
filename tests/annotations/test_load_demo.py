from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotations.models import Article, Project

pytestmark = pytest.mark.django_db


def test_load_demo_is_idempotent_and_creates_a_login() -> None:
    out = StringIO()
    call_command("load_demo", "--password", "pw-for-test", stdout=out)
    assert "4 article(s) loaded" in out.getvalue()
    assert "Demo login: demo / pw-for-test" in out.getvalue()
    call_command("load_demo", stdout=(again := StringIO()))
    assert "0 article(s) loaded, 4 already there" in again.getvalue()
    project = Project.objects.get(slug="demo")
    assert Article.objects.filter(project=project).count() == 4
    user = get_user_model().objects.get(username="demo")
    assert user.check_password("pw-for-test")
    assert project.memberships.get(user=user).role == "owner"
