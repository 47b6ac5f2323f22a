"""Mentions as W3C Web Annotation JSON-LD, validated against the web-platform-tests MUST
assertions (tests/api/w3c, evaluated as tests/api/w3c_validation.py describes)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from claims.api.web_annotation import W3C_PAGE_SIZE
from tests.api.conftest import ARTICLE_TEXT
from tests.api.w3c_validation import (
    EXAMPLES,
    definition_errors,
    missing_assertions,
    must_failures,
)
from tests.factories import AnnotationFactory

ANNOTATION_MUSTS = "annotations/annotationMusts.test"
PAGE_MUSTS = "collections/pages/pageMusts.test"
CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LD_ACCEPT = f'application/ld+json; profile="{CONTEXT}"'
MODES = pytest.mark.parametrize("ajv4", [False, True], ids=["draft4", "ajv4-siblings"])


def get_ld(client, url: str, **params):
    response = client.get(url, params, HTTP_ACCEPT=LD_ACCEPT)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/ld+json")
    assert f'profile="{CONTEXT}"' in response["Content-Type"]
    return json.loads(response.content)


@MODES
def test_validator_passes_the_working_group_examples_and_fails_broken_ones(ajv4) -> None:
    for name in ("anno1.json", "anno10.json"):
        example = json.loads((EXAMPLES / name).read_text())
        assert must_failures(ANNOTATION_MUSTS, example, ajv4=ajv4) == []
        broken = {k: v for k, v in example.items() if k != "target"}
        assert must_failures(ANNOTATION_MUSTS, broken, ajv4=ajv4) == [
            "annotations/3.1-targetKeyFound.json"
        ]
    assert missing_assertions(ANNOTATION_MUSTS) == []


@MODES
def test_one_annotation_meets_every_must_of_the_annotation_model(ajv4, client_for, mention) -> None:
    document = get_ld(client_for("viewer"), f"/api/annotations/{mention.pk}/")
    assert must_failures(ANNOTATION_MUSTS, document, ajv4=ajv4) == []
    target = document["target"]
    assert (
        definition_errors(
            "specificResource.json#/definitions/specificeResourceDetected", target, ajv4=ajv4
        )
        == []
    )
    assert definition_errors("specificResource.json#/definitions/selectorDefined", target) == []
    quote, position = target["selector"]
    assert (
        definition_errors(
            "specificResource.json#/definitions/textQuoteSelectorDetected", quote, ajv4=ajv4
        )
        == []
    )
    assert (
        definition_errors(
            "specificResource.json#/definitions/textPositionSelectorDetected", position, ajv4=ajv4
        )
        == []
    )
    textual, claim_body = document["body"]
    assert definition_errors("bodyTarget.json#/definitions/textualBodyFound", textual) == []
    assert (
        definition_errors(
            "specificResource.json#/definitions/specificeResourceDetected", claim_body, ajv4=ajv4
        )
        == []
    )


def test_annotation_selectors_point_at_the_quote_in_the_served_text(
    client_for, mention, claim
) -> None:
    client = client_for("viewer")
    document = get_ld(client, f"/api/annotations/{mention.pk}/")
    quote, position = document["target"]["selector"]
    text = client.get(document["target"]["source"]["id"]).content.decode()
    assert text == ARTICLE_TEXT
    assert text[position["start"] : position["end"]] == quote["exact"] == mention.exact
    assert text[: position["start"]].endswith(quote["prefix"])
    assert text[position["end"] :].startswith(quote["suffix"])
    assert document["body"][0] == {
        "type": "TextualBody",
        "value": claim.statement,
        "format": "text/plain",
        "purpose": "describing",
    }
    assert document["body"][1]["source"].endswith(f"/api/claims/{claim.pk}/")
    assert document["target"]["scope"] == "https://gazette.example/bridge"


@MODES
def test_article_collection_embeds_a_first_page_that_meets_the_page_musts(
    ajv4, client_for, article, mention
) -> None:
    document = get_ld(client_for("viewer"), f"/api/articles/{article.pk}/annotations/")
    assert document["type"] == "AnnotationCollection"
    assert document["total"] == 1
    assert must_failures(PAGE_MUSTS, document, ajv4=ajv4) == []
    for definition in (
        "contextValueFound",
        "annotationCollectionTypeValueFound",
        "labelDefinition",
        "totalDefinition",
        "firstValidIfPresent",
        "firstRequiredIfTotalMoreThanZero",
        "lastValidIfPresent",
    ):
        value = document["@context"] if definition == "contextValueFound" else document
        assert definition_errors(f"collections.json#/definitions/{definition}", value) == []
    item = document["first"]["items"][0]
    assert must_failures(ANNOTATION_MUSTS, {"@context": CONTEXT, **item}, ajv4=ajv4) == []


@MODES
def test_pages_of_a_long_collection_meet_the_page_musts_and_link_up(
    ajv4, client_for, article, claim
) -> None:
    for start in range(W3C_PAGE_SIZE + 5):
        AnnotationFactory(article=article, claim=claim, start=start, end=start + 10)
    client = client_for("viewer")
    url = f"/api/articles/{article.pk}/annotations/"
    collection = get_ld(client, url)
    assert collection["total"] == W3C_PAGE_SIZE + 5
    assert collection["last"].endswith("?page=1")
    first, second = get_ld(client, url, page=0), get_ld(client, url, page=1)
    for page in (first, second):
        assert must_failures(PAGE_MUSTS, page, ajv4=ajv4) == []
        assert (
            definition_errors("collections.json#/definitions/contextValueFound", page["@context"])
            == []
        )
        assert page["partOf"] == collection["id"]
    assert first["next"] == second["id"] and second["prev"] == first["id"]
    assert "next" not in second and "prev" not in first
    assert (len(first["items"]), len(second["items"])) == (W3C_PAGE_SIZE, 5)
    assert second["startIndex"] == W3C_PAGE_SIZE
    assert [a["target"]["selector"][1]["start"] for a in second["items"]] == list(
        range(W3C_PAGE_SIZE, W3C_PAGE_SIZE + 5)
    )
    assert must_failures(PAGE_MUSTS, collection, ajv4=ajv4) == []
    assert missing_assertions(PAGE_MUSTS) == ["collections/pages/5.2-pageContextValidated.json"]


def test_empty_collection_has_no_first_page(client_for, article) -> None:
    document = get_ld(client_for("viewer"), f"/api/articles/{article.pk}/annotations/")
    assert document["total"] == 0 and "first" not in document
    assert (
        definition_errors(
            "collections.json#/definitions/firstRequiredIfTotalMoreThanZero", document
        )
        == []
    )


def test_page_past_the_end_is_not_found(client_for, article, mention) -> None:
    response = client_for("viewer").get(f"/api/articles/{article.pk}/annotations/", {"page": 5})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "pages run from 0 to 0" in response.json()["detail"]


def test_format_parameter_selects_json_ld_and_plain_accept_gets_the_api_shape(
    client_for, mention
) -> None:
    client = client_for("viewer")
    by_format = client.get(f"/api/annotations/{mention.pk}/", {"format": "jsonld"})
    assert by_format["Content-Type"].startswith("application/ld+json")
    assert by_format.json()["type"] == "Annotation"
    plain_ld = client.get(f"/api/annotations/{mention.pk}/", HTTP_ACCEPT="application/ld+json")
    assert plain_ld.json()["type"] == "Annotation"
    as_json = client.get(f"/api/annotations/{mention.pk}/", HTTP_ACCEPT="application/json")
    assert as_json["Content-Type"] == "application/json"
    assert as_json.json()["exact"] == mention.exact


def test_annotation_list_refuses_json_ld_with_a_json_error(client_for, mention) -> None:
    response = client_for("viewer").get("/api/annotations/", HTTP_ACCEPT="application/ld+json")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_items_of_a_page_link_to_their_own_mention_and_claim(client_for, article) -> None:
    """A page's URLs are reversed once and given each item's pk: they must be the URLs that
    reverse gives for every item, the single annotation's view among them."""
    mentions = [AnnotationFactory(article=article, start=i, end=i + 5) for i in range(0, 30, 10)]
    client = client_for("viewer")
    page = get_ld(client, f"/api/articles/{article.pk}/annotations/", page=0)
    by_id = {item["id"]: item for item in page["items"]}
    for mention in mentions:
        single = get_ld(client, f"/api/annotations/{mention.pk}/")
        assert by_id[single["id"]]["body"] == single["body"]
        assert single["id"].endswith(reverse("api:annotation-detail", args=[mention.pk]))
        assert single["body"][1]["source"].endswith(
            reverse("api:claim-detail", args=[mention.claim_id])
        )
        assert by_id[single["id"]]["target"] == single["target"]
