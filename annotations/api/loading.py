"""Bulk loading through the API and the progress of processing: mixed into the articles' and
projects' viewsets (served by the claims app, which shows them with their claims), so that
`/api/articles/bulk/` and `/api/projects/<id>/progress/` sit beside the rest of those routes.
Parse, call one service or selector, render."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from annotations import selectors
from annotations.api.base import request_body
from annotations.api.permissions import project_for_write
from annotations.api.schema import ErrorSerializer
from annotations.services.bulk_articles import BulkReport, ItemStatus, articles_bulk_create
from annotations.services.bulk_inputs import drafts_checked, drafts_from_objects, drafts_from_upload
from common.api import MSG_JSON_TOO_DEEP
from common.errors import ApplicationError, TooLarge

MSG_BULK_TOO_LARGE = "The upload is larger than the limit of {limit:,} bytes for a bulk load."
MSG_BULK_FILE = "Send the “file” as a multipart/form-data upload."
MSG_BULK_INPUT = "Send a “file” (JSONL, CSV or ZIP) or a list of “articles”, not both."


class BulkJSONParser(BaseParser):
    """JSON under the bulk limit rather than DATA_UPLOAD_MAX_MEMORY_SIZE: DRF's JSONParser
    reads `request.body`, which Django caps at that setting for every endpoint."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.CLAIMTRACK_BULK_MAX_BYTES
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise TooLarge(MSG_BULK_TOO_LARGE.format(limit=limit))
        try:
            return json.loads(data)
        except RecursionError as exc:
            raise exceptions.ParseError(MSG_JSON_TOO_DEEP) from exc
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc


class BulkArticleSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The article text as published (required).")
    title = serializers.CharField(required=False)
    outlet = serializers.CharField(required=False)
    url = serializers.CharField(required=False)
    byline = serializers.CharField(required=False)
    published_at = serializers.CharField(required=False, help_text="An ISO 8601 date or time.")
    language = serializers.CharField(required=False, help_text="An ISO 639-1 code.")


class BulkJSONSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1)
    articles = BulkArticleSerializer(many=True)


class BulkUploadSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1)
    file = serializers.FileField(
        help_text="JSONL (one object a line), CSV (a header row; `text` required) or a ZIP of "
        ".txt/.md/.html files and .jsonl/.csv files; the fields are those of `articles`."
    )


class BulkItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField(help_text="The file, line (“file.jsonl:3”) or list entry.")
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    article_id = serializers.IntegerField(
        allow_null=True, help_text="The article loaded, or the one already holding the text."
    )
    error = serializers.CharField(allow_null=True)


class BulkReportSerializer(serializers.Serializer):
    loaded = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    failed = serializers.IntegerField()
    items = BulkItemSerializer(many=True)


class ProgressSerializer(serializers.Serializer):
    articles = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Waiting to be segmented and embedded.")
    processing = serializers.IntegerField()
    processed = serializers.IntegerField()
    failed = serializers.IntegerField()
    matching = serializers.IntegerField(help_text="Processed, waiting to be matched.")
    done = serializers.BooleanField(help_text="Nothing left to process or match.")


def report_body(report: BulkReport) -> dict[str, Any]:
    return {
        "loaded": report.count("loaded"),
        "duplicates": report.count("duplicate"),
        "failed": report.count("failed"),
        "items": [vars(item) for item in report.items],
    }


def _drafts(request: Request, body: Any) -> list[Any]:
    upload, rows = body.get("file"), body.get("articles")
    if (upload is None) == (rows is None):
        raise ApplicationError(MSG_BULK_INPUT)
    if rows is not None:
        return drafts_from_objects(rows)
    if not hasattr(upload, "read"):
        raise ApplicationError(MSG_BULK_FILE)
    if upload.size > settings.CLAIMTRACK_BULK_MAX_BYTES:
        raise TooLarge(MSG_BULK_TOO_LARGE.format(limit=settings.CLAIMTRACK_BULK_MAX_BYTES))
    name = upload.name or "upload"
    return drafts_checked(drafts_from_upload(name, upload.read()), name=name)


class ArticleBulkMixin:
    """`POST /api/articles/bulk/` on the articles' viewset."""

    @extend_schema(
        request={
            "application/json": BulkJSONSerializer,
            "multipart/form-data": BulkUploadSerializer,
        },
        responses={
            200: BulkReportSerializer,
            413: OpenApiResponse(
                ErrorSerializer, description="Past the bulk size or count limits."
            ),
        },
        description="Load many articles at once, checked as one-by-one loads are, saved in "
        "batches; processing follows in the background (see the project's `progress/`). 200 "
        "with a report item per article (loaded, duplicate or failed, and why) once the upload "
        "could be read, even if every article failed.",
    )
    @action(detail=False, methods=["post"], parser_classes=[BulkJSONParser, MultiPartParser])
    def bulk(self, request: Request) -> Response:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.CLAIMTRACK_BULK_MAX_BYTES:
            raise TooLarge(MSG_BULK_TOO_LARGE.format(limit=settings.CLAIMTRACK_BULK_MAX_BYTES))
        body = request_body(request)
        project = project_for_write(request.user, body.get("project"))
        report = articles_bulk_create(
            project=project, drafts=_drafts(request, body), actor=request.user
        )
        return Response(report_body(report))


class ProjectProgressMixin:
    """`GET /api/projects/<id>/progress/` on the projects' viewset: any member may read it."""

    @extend_schema(responses={200: ProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, pk: str | None = None) -> Response:
        project = self.get_object()  # type: ignore[attr-defined]
        return Response(selectors.project_progress(project=project))
