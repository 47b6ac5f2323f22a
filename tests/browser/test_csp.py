"""The Content-Security-Policy in a real browser: every page still works under it and no
resource it loads is blocked (scripts run only from our static files)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.browser


def _blocked(page: Any) -> list[str]:
    messages: list[str] = []
    page.on(
        "console",
        lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return messages


def test_pages_work_under_the_policy_and_nothing_is_blocked(
    page, login, live_server, project, owner
):
    article = ArticleFactory(project=project)
    blocked = _blocked(page)
    login(owner)
    response = page.goto(f"{live_server.url}/articles/{article.pk}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("#reader")
    page.goto(f"{live_server.url}/projects/{article.project.slug}/review/")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)  # the UI's script ran
    assert blocked == []
    assert page.js_errors == []


def test_the_admin_works_under_the_policy(page, login, live_server):
    blocked = _blocked(page)
    login(UserFactory(is_staff=True, is_superuser=True))
    page.goto(f"{live_server.url}/admin/annotations/article/")
    page.wait_for_selector("#changelist")
    page.goto(f"{live_server.url}/admin/claims/claim/add/")
    page.wait_for_selector("#claim_form")
    assert blocked == []
