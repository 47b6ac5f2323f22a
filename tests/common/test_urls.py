"""pk_url: a route reversed once gives the same URL as reverse for every pk."""

from __future__ import annotations

from django.test import RequestFactory, override_settings
from django.urls import reverse

from common.urls import pk_url


def test_pk_url_gives_what_reverse_gives_for_any_pk() -> None:
    claim_url = pk_url("claim-detail")
    for pk in (1, 7, 42, 987654321, 98765432198765):
        assert claim_url(pk) == reverse("claim-detail", kwargs={"pk": pk})


@override_settings(ALLOWED_HOSTS=["987654321.example"])
def test_pk_url_makes_absolute_urls_on_a_host_holding_the_slot_digits() -> None:
    request = RequestFactory().get("/", HTTP_HOST="987654321.example:8000")
    make = pk_url("api:annotation-detail", request.build_absolute_uri)
    for pk in (3, 987654321):
        expected = request.build_absolute_uri(reverse("api:annotation-detail", args=[pk]))
        assert make(pk) == expected
