"""Production settings: refuse to start without secrets, pass `check --deploy`; login throttling."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.conftest import database_url_for_tests as database_url
from tests.conftest import worker_env
from tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET = secrets.token_urlsafe(50)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=worker_env(DJANGO_SETTINGS_MODULE="config.settings.production", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_production_settings_pass_check_deploy() -> None:
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="claims.example.org",
        DATABASE_URL=database_url(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DJANGO_SECRET_KEY": "", "DJANGO_ALLOWED_HOSTS": "a.org"},
            "DJANGO_SECRET_KEY must be set",
        ),
        (
            {"DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": ""},
            "DJANGO_ALLOWED_HOSTS must list",
        ),
    ],
)
def test_production_settings_refuse_to_start_without_secrets(
    env: dict[str, str], message: str
) -> None:
    result = manage("check", DATABASE_URL=database_url(), **env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_repeated_failed_logins_are_throttled(client) -> None:
    UserFactory(username="erin", password="right password 123")
    url = reverse("login")
    for _ in range(3):
        response = client.post(url, {"username": "erin", "password": "wrong"})
        assert response.status_code in (200, 429)
    locked = client.post(url, {"username": "erin", "password": "right password 123"})
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trusted", "peer", "secure"),
    [
        ([], "127.0.0.1", False),
        (["10.0.0.0/8"], "203.0.113.9", False),
        (["10.0.0.0/8"], "10.1.2.3", True),
    ],
)
def test_forwarded_https_is_believed_only_from_a_named_proxy(rf, trusted, peer, secure) -> None:
    from common.proxy import TrustedProxyMiddleware

    seen: dict[str, bool] = {}

    def view(request):
        seen["secure"] = request.is_secure()
        from django.http import HttpResponse

        return HttpResponse()

    with override_settings(
        CLAIMTRACK_TRUSTED_PROXIES=trusted,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    ):
        request = rf.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=peer)
        TrustedProxyMiddleware(view)(request)
    assert seen["secure"] is secure
