"""API viewsets for projects, articles and mentions, shown with what is marked in them (counts
of claims, reviews and mentions; an article's mentions as W3C annotations): parse, call one
service or selector, render. Roles: annotations/api/permissions.py; errors: common/api.py.
The outlets' viewset, which knows nothing of claims, stays in annotations/api/views.py."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from annotations.api.base import ClaimtrackAPIMixin, request_body, validated
from annotations.api.filters import ArticleFilter
from annotations.api.loading import ArticleBulkMixin, ProjectProgressMixin
from annotations.api.permissions import project_for_write, visible_for_write
from annotations.api.renderers import W3C_ANNO_MEDIA_TYPE, JSONLDRenderer, PlainTextRenderer
from annotations.api.schema import (
    ANNOTATION_COLLECTION_SCHEMA,
    ANNOTATION_PAGE_SCHEMA,
    WEB_ANNOTATION_SCHEMA,
)
from annotations.api.serializers import (
    ArticleCreateSerializer,
    ArticleFromURLSerializer,
    ArticleUploadSerializer,
    ProjectCreateSerializer,
)
from annotations.models import Article, Project
from annotations.services import (
    article_create,
    article_create_from_file,
    article_create_from_url,
    project_create,
)
from claims import selectors
from claims.api import web_annotation as jsonld
from claims.api.filters import AnnotationFilter
from claims.api.text_serializers import (
    AnnotationCreateSerializer,
    AnnotationSerializer,
    ArticleDetailSerializer,
    ArticleSerializer,
    ProjectSerializer,
)
from claims.models import Annotation
from claims.services import annotation_create, annotation_detach
from common.errors import NotFound

MSG_NO_SUCH_PAGE = "There is no page {page}; pages run from 0 to {last}."


class ProjectViewSet(
    ClaimtrackAPIMixin,
    ProjectProgressMixin,
    mixins.CreateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Story desks you belong to. Anyone signed in may create one and becomes its owner;
    `progress/` says how far processing of its articles got."""

    serializer_class = ProjectSerializer
    ordering = ("name", "id")
    ordering_fields = ("name", "created_at", "id")
    search_fields = ("name", "description")

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.project_api_list(user=self.request.user)

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(ProjectCreateSerializer, request)
        project = project_create(owner=request.user, **data)
        body = ProjectSerializer(self.get_queryset().get(pk=project.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class ArticleViewSet(
    ClaimtrackAPIMixin,
    ArticleBulkMixin,
    mixins.CreateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Articles. Load one as text (POST), as a file (`upload/`) or from a web page (`from-url/`);
    a text already in the project is refused with 409 and the id of the article holding it.
    Load many at once with `bulk/` (JSONL, CSV, ZIP or a JSON list)."""

    filterset_class = ArticleFilter
    ordering = ("-created_at", "-id")
    ordering_fields = ("created_at", "title", "id")
    search_fields = ("title", "byline")
    write_error_codes = ("409",)

    def get_queryset(self) -> QuerySet[Article]:
        articles = selectors.article_api_list(user=self.request.user)
        # Only the detail and the text endpoint send the text.
        return articles.defer("text") if self.action in ("list", "annotations") else articles

    def get_serializer_class(self) -> type[Any]:
        return ArticleSerializer if self.action == "list" else ArticleDetailSerializer

    def _created(self, article: Article) -> Response:
        # The row as the service saved it, not read back: a new article has no mentions yet.
        article.annotation_count = 0  # type: ignore[attr-defined]  # as the list query counts it
        return Response(ArticleDetailSerializer(article).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ArticleCreateSerializer, responses={201: ArticleDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = project_for_write(request.user, request_body(request).get("project"))
        data = validated(ArticleCreateSerializer, request)
        data.pop("project")
        return self._created(article_create(project=project, actor=request.user, **data))

    @extend_schema(
        request={"multipart/form-data": ArticleUploadSerializer},
        responses={201: ArticleDetailSerializer},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request: Request) -> Response:
        project = project_for_write(request.user, request_body(request).get("project"))
        data = validated(ArticleUploadSerializer, request)
        data.pop("project")
        upload = data.pop("file")
        article = article_create_from_file(
            project=project,
            data=upload.read(),
            filename=upload.name or "upload.txt",
            actor=request.user,
            **data,
        )
        return self._created(article)

    @extend_schema(request=ArticleFromURLSerializer, responses={201: ArticleDetailSerializer})
    @action(detail=False, methods=["post"], url_path="from-url")
    def from_url(self, request: Request) -> Response:
        project = project_for_write(request.user, request_body(request).get("project"))
        data = validated(ArticleFromURLSerializer, request)
        data.pop("project")
        url = data.pop("url")
        return self._created(
            article_create_from_url(project=project, url=url, actor=request.user, **data)
        )

    @extend_schema(
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR)},
        description="The article text as stored: the text W3C selector offsets count in.",
    )
    @action(detail=True, methods=["get"], renderer_classes=[PlainTextRenderer])
    def text(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.get_object().text, content_type="text/plain; charset=utf-8")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "page",
                int,
                description="A page (0-based) instead of the collection.",
                required=False,
            )
        ],
        responses={
            (200, "application/ld+json"): OpenApiResponse(
                {"oneOf": [ANNOTATION_COLLECTION_SCHEMA, ANNOTATION_PAGE_SCHEMA]}
            ),
            (200, "application/json"): OpenApiResponse(
                {"oneOf": [ANNOTATION_COLLECTION_SCHEMA, ANNOTATION_PAGE_SCHEMA]}
            ),
        },
        description="The article's mentions as a W3C AnnotationCollection, or one AnnotationPage "
        "with `?page=N`.",
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        renderer_classes=[JSONLDRenderer, JSONRenderer, BrowsableAPIRenderer],
    )
    def annotations(self, request: Request, pk: str | None = None) -> Response:
        article = self.get_object()
        total = article.annotation_count
        size = jsonld.W3C_PAGE_SIZE
        raw_page = request.query_params.get("page")
        if raw_page is None:
            first = selectors.article_annotation_page(article=article, offset=0, limit=size)
            document = jsonld.annotation_collection(
                article, request, total=total, first_items=first
            )
        else:
            page, last = _page_number(raw_page), max(0, (total - 1) // size)
            if page > last:
                raise NotFound(MSG_NO_SUCH_PAGE.format(page=page, last=last))
            items = selectors.article_annotation_page(
                article=article, offset=page * size, limit=size
            )
            document = jsonld.annotation_page(article, request, page=page, total=total, items=items)
        return _jsonld_response(request, document)


def _page_number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound(MSG_NO_SUCH_PAGE.format(page=raw[:20], last="the last"))
    return int(raw)


def _jsonld_response(request: Request, document: dict[str, Any]) -> Response:
    """The W3C profile media type when the client negotiated JSON-LD, plain JSON otherwise."""
    if request.accepted_renderer.format == JSONLDRenderer.format:
        return Response(document, content_type=W3C_ANNO_MEDIA_TYPE)
    return Response(document)


class AnnotationViewSet(
    ClaimtrackAPIMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Mentions: spans of articles that state a claim. Creating one goes through the same
    service as the reader (and queues the same matching); `Accept: application/ld+json` on one
    mention answers a W3C Web Annotation."""

    serializer_class = AnnotationSerializer
    filterset_class = AnnotationFilter
    ordering = ("-created_at", "-id")
    ordering_fields = ("created_at", "start", "id")
    search_fields = ("exact",)
    write_error_codes = ("409",)

    def get_queryset(self) -> QuerySet[Annotation]:
        return selectors.annotation_api_list(user=self.request.user)

    def get_renderers(self) -> list[Any]:
        if self.action == "retrieve":
            return [JSONRenderer(), JSONLDRenderer(), BrowsableAPIRenderer()]
        return super().get_renderers()

    @extend_schema(
        responses={
            (200, "application/json"): AnnotationSerializer,
            (200, "application/ld+json"): OpenApiResponse(WEB_ANNOTATION_SCHEMA),
        }
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        annotation = self.get_object()
        if request.accepted_renderer.format == JSONLDRenderer.format:
            return _jsonld_response(request, jsonld.web_annotation(annotation, request))
        return Response(AnnotationSerializer(annotation).data)

    @extend_schema(request=AnnotationCreateSerializer, responses={201: AnnotationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        article = visible_for_write(
            request.user,
            selectors.article_api_list(user=request.user).select_related("project"),
            request_body(request).get("article"),
            field="article",
        )
        data = validated(AnnotationCreateSerializer, request)
        data.pop("article")
        annotation = annotation_create(article=article, actor=request.user, **data)
        # The row as the service saved it (its claim and author at hand), not read back.
        return Response(AnnotationSerializer(annotation).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Annotation) -> None:
        annotation_detach(annotation=instance, actor=self.request.user)
