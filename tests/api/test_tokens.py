"""API tokens: obtained with a password, stored hashed, expiring, revocable; passwords of 12+."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from knox.models import AuthToken

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password


def _obtain(api_client, username: str, password: str = PASSWORD):
    return api_client.post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_a_token_is_stored_hashed_and_reads_the_api(api_client, editor) -> None:
    response = _obtain(api_client, editor.username)
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert response.json()["expiry"]
    stored = AuthToken.objects.get(user=editor)
    assert token not in {stored.digest, stored.token_key}  # only a prefix and a hash are kept
    assert stored.expiry - timezone.now() > dt.timedelta(hours=23)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/claims/").status_code == 200


def test_a_wrong_password_gets_no_token(api_client, editor) -> None:
    response = _obtain(api_client, editor.username, "not the password at all")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not AuthToken.objects.exists()


def test_an_expired_token_is_refused(api_client, editor) -> None:
    instance, token = AuthToken.objects.create(user=editor, expiry=dt.timedelta(hours=1))
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/claims/").status_code == 401


def test_a_revoked_token_is_refused(api_client, editor) -> None:
    _, token = AuthToken.objects.create(user=editor)
    _, other = AuthToken.objects.create(user=editor)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.post("/api/auth/token/revoke/").status_code == 204
    assert api_client.get("/api/claims/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {other}")
    assert api_client.get("/api/claims/").status_code == 200
    assert api_client.post("/api/auth/token/revoke-all/").status_code == 204
    assert api_client.get("/api/claims/").status_code == 401


def test_passwords_need_twelve_characters(editor) -> None:
    with pytest.raises(ValidationError):
        validate_password("Tr0ub4dor&3", user=editor)  # 11 characters
    validate_password("Tr0ub4dor&3x", user=editor)
