"""Mentions as W3C Web Annotations (https://www.w3.org/TR/annotation-model/).

An Annotation says "this span of this article states that claim":
- target: a SpecificResource whose source is the article's plain text as Claimtrack stores it
  (the text the offsets count in, served at /api/articles/<id>/text/), with a TextQuoteSelector
  (exact, prefix, suffix) and a TextPositionSelector (start, end, in Unicode code points); the
  original web page, when known, is the target's `scope`;
- body: the claim's wording as a TextualBody (purpose "describing") and the claim itself as a
  SpecificResource (purpose "identifying", as the model's semantic-tag example does).

Per article the annotations form an AnnotationCollection paged into AnnotationPages
(`?page=0` is the first), as the Web Annotation Protocol pages a container.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.urls import reverse
from rest_framework.request import Request

from annotations.api.renderers import W3C_ANNO_CONTEXT
from annotations.models import Article
from claims.models import Annotation
from common.urls import pk_url

# Annotations per AnnotationPage: an article rarely holds more; a page stays under ~200 kB.
W3C_PAGE_SIZE = 100
# A BCP 47 tag as the model wants for `language`; anything else is left out.
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def _iso(value: dt.datetime) -> str:
    """xsd:dateTime in UTC with a Z, as the model's examples write it."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _url(request: Request, name: str, **kwargs: Any) -> str:
    return request.build_absolute_uri(reverse(f"api:{name}", kwargs=kwargs))


class PageLinks:
    """What every item of a page repeats or shares: the article's text resource, and the
    URLs of mentions and claims by pk (each route reversed once per page)."""

    def __init__(self, article: Article, request: Request) -> None:
        self.text_resource = article_text_resource(article, request)
        self.annotation_url = pk_url("api:annotation-detail", request.build_absolute_uri)
        self.claim_url = pk_url("api:claim-detail", request.build_absolute_uri)


def article_text_resource(article: Article, request: Request) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": _url(request, "article-text", pk=article.pk),
        "type": "Text",
        "format": "text/plain",
    }
    if _BCP47.match(article.language or ""):
        resource["language"] = article.language
    return resource


def web_annotation(
    annotation: Annotation,
    request: Request,
    *,
    with_context: bool = True,
    links: PageLinks | None = None,
) -> dict[str, Any]:
    """One mention as a W3C Annotation (items inside a page leave out their @context and
    share the page's links)."""
    article, claim = annotation.article, annotation.claim
    links = links or PageLinks(article, request)
    target: dict[str, Any] = {
        "type": "SpecificResource",
        "source": links.text_resource,
        "selector": [
            {
                "type": "TextQuoteSelector",
                "exact": annotation.exact,
                "prefix": annotation.prefix,
                "suffix": annotation.suffix,
            },
            {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end},
        ],
    }
    if article.url:
        target["scope"] = article.url
    document: dict[str, Any] = {"@context": W3C_ANNO_CONTEXT} if with_context else {}
    document.update(
        {
            "id": links.annotation_url(annotation.pk),
            "type": "Annotation",
            "motivation": "identifying",
            "created": _iso(annotation.created_at),
            "modified": _iso(annotation.updated_at),
            "body": [
                {
                    "type": "TextualBody",
                    "value": claim.statement,
                    "format": "text/plain",
                    "purpose": "describing",
                },
                {
                    "type": "SpecificResource",
                    "source": links.claim_url(claim.pk),
                    "purpose": "identifying",
                },
            ],
            "target": target,
        }
    )
    if annotation.author is not None:
        document["creator"] = {"type": "Person", "nickname": annotation.author.get_username()}
    return document


def _collection_url(article: Article, request: Request) -> str:
    return _url(request, "article-annotations", pk=article.pk)


def _last_page(total: int, page_size: int) -> int:
    return max(0, (total - 1) // page_size)


def annotation_page(
    article: Article,
    request: Request,
    *,
    page: int,
    total: int,
    items: list[Annotation],
    page_size: int = W3C_PAGE_SIZE,
    embedded: bool = False,
) -> dict[str, Any]:
    """AnnotationPage `page` (0-based) of the article's collection."""
    collection = _collection_url(article, request)
    links = PageLinks(article, request)
    document: dict[str, Any] = {} if embedded else {"@context": W3C_ANNO_CONTEXT}
    document.update(
        {
            "id": f"{collection}?page={page}",
            "type": "AnnotationPage",
            "partOf": collection,
            "startIndex": page * page_size,
            "items": [web_annotation(a, request, with_context=False, links=links) for a in items],
        }
    )
    if page > 0:
        document["prev"] = f"{collection}?page={page - 1}"
    if page < _last_page(total, page_size):
        document["next"] = f"{collection}?page={page + 1}"
    return document


def annotation_collection(
    article: Article,
    request: Request,
    *,
    total: int,
    first_items: list[Annotation],
    page_size: int = W3C_PAGE_SIZE,
) -> dict[str, Any]:
    """The article's AnnotationCollection with its first page embedded (none when empty)."""
    collection = _collection_url(article, request)
    document: dict[str, Any] = {
        "@context": W3C_ANNO_CONTEXT,
        "id": collection,
        "type": "AnnotationCollection",
        "label": f"Claim mentions in “{article.title or f'article {article.pk}'}”",
        "total": total,
    }
    if total > 0:
        document["first"] = annotation_page(
            article,
            request,
            page=0,
            total=total,
            items=first_items,
            page_size=page_size,
            embedded=True,
        )
        document["last"] = f"{collection}?page={_last_page(total, page_size)}"
    return document
