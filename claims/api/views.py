"""API viewsets for claims, relations and candidates, the claim table export and ClaimReview.

Thin: parse, call one claims.service or selector, render. Creating a claim here calls the same
`claim_create` as the browser, which queues the same matching task after commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAcceptable
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from annotations.api.base import ClaimtrackAPIMixin, request_body, validated
from annotations.api.permissions import project_for_write, visible_for_write
from annotations.api.renderers import (
    XLSX_MEDIA_TYPE,
    CSVRenderer,
    JSONLDRenderer,
    XLSXRenderer,
)
from claims import selectors
from claims.api import exports
from claims.api.etag import etag_for, expected_version
from claims.api.filters import CandidateFilter, ClaimFilter, RelationFilter
from claims.api.jsonld import CLAIM_REVIEW_SCHEMA, claim_review
from claims.api.serializers import (
    CandidateSerializer,
    ClaimCreateSerializer,
    ClaimExportRowSerializer,
    ClaimSerializer,
    ClaimUpdateSerializer,
    RelationCreateSerializer,
    RelationSerializer,
)
from claims.duplicates import claim_same_wording, duplicate_payload
from claims.models import Claim, ClaimRelation, MatchCandidate
from claims.services import (
    candidate_accept,
    candidate_mark_related,
    candidate_reject,
    claim_create,
    claim_update,
    relation_create,
)
from common.errors import NotFound

MSG_NO_VERDICT = "Claim {pk} has no verdict yet, so it has no ClaimReview."
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description='The ETag you read (e.g. "3"); a stale one is refused with 412.',
)

PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="The pagination cursor value."),
    OpenApiParameter("page_size", int, description="Number of results to return per page."),
]
_PAGE_LINK = {"type": "string", "format": "uri", "nullable": True}
CLAIM_REVIEW_PAGE_SCHEMA = {
    "type": "object",
    "required": ["results"],
    "properties": {
        "next": _PAGE_LINK,
        "previous": _PAGE_LINK,
        "results": {"type": "array", "items": CLAIM_REVIEW_SCHEMA},
    },
}


def _attachment(
    content: Iterator[bytes] | IO[bytes], table: str, fmt: str
) -> StreamingHttpResponse | FileResponse:
    """An export as a download named after its table and the time it was made."""
    name = f"{table}-{timezone.now():%Y%m%d-%H%M%S}.{fmt}"
    if fmt == "xlsx":
        return FileResponse(
            content, as_attachment=True, filename=name, content_type=XLSX_MEDIA_TYPE
        )
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    response = StreamingHttpResponse(content, content_type=media)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class ClaimViewSet(
    ClaimtrackAPIMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Claims. Each carries an ETag (its version); PUT/PATCH honour If-Match (412 if stale).
    `Accept: application/ld+json` on a claim with a verdict answers its schema.org ClaimReview."""

    filterset_class = ClaimFilter
    serializer_class = ClaimSerializer
    ordering = ("-created_at", "-id")
    ordering_fields = ("created_at", "updated_at", "statement", "status", "kind", "id")
    search_fields = ("statement", "notes", "verdict_summary")
    write_error_codes = ("409", "412")

    def get_queryset(self) -> QuerySet[Claim]:
        if self.action in ("export", "export_mentions"):
            return selectors.claim_export_base(user=self.request.user)
        if self.action == "claimreviews":
            return selectors.claims_with_verdict(user=self.request.user)
        return selectors.claim_api_list(user=self.request.user)

    def get_renderers(self) -> list[Any]:
        if getattr(self, "action", None) == "retrieve":
            return [JSONRenderer(), JSONLDRenderer(), BrowsableAPIRenderer()]
        return super().get_renderers()

    def _claim_response(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        claim = selectors.claim_api_list(user=self.request.user).get(pk=pk)
        response = Response(ClaimSerializer(claim).data, status=status_code)
        response["ETag"] = etag_for(claim.version)
        return response

    @extend_schema(
        responses={
            (200, "application/json"): ClaimSerializer,
            (200, "application/ld+json"): OpenApiResponse(CLAIM_REVIEW_SCHEMA),
        }
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        if request.accepted_renderer.format == JSONLDRenderer.format:
            review = selectors.claims_with_verdict(user=request.user).filter(pk=claim.pk).first()
            if review is None:
                raise NotAcceptable(MSG_NO_VERDICT.format(pk=claim.pk))
            return Response(claim_review(review, request), content_type="application/ld+json")
        response = Response(ClaimSerializer(claim).data)
        response["ETag"] = etag_for(claim.version)
        return response

    @extend_schema(request=ClaimCreateSerializer, responses={201: ClaimSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = project_for_write(request.user, request_body(request).get("project"))
        data = validated(ClaimCreateSerializer, request)
        data.pop("project")
        same = claim_same_wording(project=project, statement=data["statement"])
        claim = claim_create(project=project, actor=request.user, **data)
        response = self._claim_response(claim.pk, status.HTTP_201_CREATED)
        if same is not None:
            # Created all the same (a script may mean it); the warning names the existing claim.
            url = request.build_absolute_uri(reverse("api:claim-detail", kwargs={"pk": same.pk}))
            response.data["warnings"] = [duplicate_payload(same, url=url)]
        return response

    @extend_schema(
        request=ClaimUpdateSerializer, responses={200: ClaimSerializer}, parameters=[IF_MATCH]
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()  # 404 outsiders, 403 viewers (EditorForWrites)
        partial = kwargs.get("partial", False)
        data = validated(ClaimUpdateSerializer, request, partial=partial)
        updated = claim_update(
            claim=claim,
            actor=request.user,
            expected_version=expected_version(request, claim.version),
            **data,
        )
        return self._claim_response(updated.pk)

    @extend_schema(
        request=ClaimUpdateSerializer, responses={200: ClaimSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                ClaimExportRowSerializer(many=True), description="All matching claims."
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The same as CSV."),
            (200, XLSX_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The same as an Excel workbook."
            ),
        },
        filters=True,
        description="The claim table, one row per claim, filtered like the claim list; choose "
        "the format with `?format=json|csv|xlsx` or the Accept header. Streamed: any size.",
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        renderer_classes=[JSONRenderer, CSVRenderer, XLSXRenderer],
    )
    def export(self, request: Request) -> StreamingHttpResponse | FileResponse:
        claims = self.filter_queryset(self.get_queryset())
        rows = exports.export_rows(claims)
        fmt = request.accepted_renderer.format
        if fmt == "json":
            return _attachment(exports.stream_json(rows), "claims", fmt)
        if fmt == "xlsx":
            return _attachment(exports.write_xlsx(exports.labelled(rows)), "claims", fmt)
        return _attachment(exports.stream_csv(exports.labelled(rows)), "claims", fmt)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="One row per mention: claim_id, claim, status, outlet, date, "
                "quote (the mention's own words), link (the article).",
            ),
            (200, XLSX_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The same as an Excel workbook."
            ),
        },
        filters=True,
        description="The mentions of the claims the claim table would hold, one row each; "
        "`?format=csv|xlsx`.",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export/mentions",
        url_name="export-mentions",
        pagination_class=None,
        renderer_classes=[CSVRenderer, XLSXRenderer],
    )
    def export_mentions(self, request: Request) -> StreamingHttpResponse | FileResponse:
        claims = self.filter_queryset(self.get_queryset())
        # The reader's address of article 0, minus the "0/": rows append their article id.
        reader_base = request.build_absolute_uri(reverse("article-read", args=[0]))[:-2]
        rows = exports.mention_rows(claims, reader_base=reader_base)
        columns = exports.MENTION_COLUMNS
        if request.accepted_renderer.format == "xlsx":
            workbook = exports.write_xlsx(rows, columns, title="Mentions")
            return _attachment(workbook, "mentions", "xlsx")
        return _attachment(exports.stream_csv(rows, columns), "mentions", "csv")

    @extend_schema(
        responses={(200, "application/ld+json"): OpenApiResponse(CLAIM_REVIEW_SCHEMA)},
        description="The claim's schema.org ClaimReview; 404 while it has no verdict.",
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONLDRenderer, JSONRenderer])
    def claimreview(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        if claim.status in selectors.NO_VERDICT:
            raise NotFound(MSG_NO_VERDICT.format(pk=claim.pk))
        review = selectors.claims_with_verdict(user=request.user).get(pk=claim.pk)
        return Response(claim_review(review, request), content_type="application/ld+json")

    @extend_schema(
        responses={200: OpenApiResponse(CLAIM_REVIEW_PAGE_SCHEMA)},
        parameters=PAGE_PARAMETERS,
        filters=True,
        description="ClaimReviews of the claims with a verdict, filtered like the claim list; "
        "a page of self-contained JSON-LD objects.",
    )
    @action(detail=False, methods=["get"])
    def claimreviews(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([claim_review(c, request) for c in page or []])


class RelationViewSet(ClaimtrackAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """How claims connect: same as, supports, contradicts, refines."""

    serializer_class = RelationSerializer
    filterset_class = RelationFilter
    ordering = ("-created_at", "-id")
    ordering_fields = ("created_at", "id")
    write_error_codes = ("409",)

    def get_queryset(self) -> QuerySet[ClaimRelation]:
        return selectors.relation_api_list(user=self.request.user)

    @extend_schema(request=RelationCreateSerializer, responses={201: RelationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        source = visible_for_write(
            request.user,
            selectors.claim_api_list(user=request.user).select_related("project"),
            request_body(request).get("source_claim"),
            field="source_claim",
        )
        data = validated(RelationCreateSerializer, request)
        relation = relation_create(
            source=source,
            target=data["target_claim"],
            kind=data["kind"],
            note=data["note"],
            actor=request.user,
        )
        body = RelationSerializer(self.get_queryset().get(pk=relation.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class CandidateViewSet(ClaimtrackAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The matcher's proposals. Editors decide each once: accept (the span becomes a mention),
    reject, or "related, not the same"; a decided candidate answers 409."""

    serializer_class = CandidateSerializer
    filterset_class = CandidateFilter
    ordering = ("-score", "-id")
    ordering_fields = ("score", "created_at", "id")
    write_error_codes = ("409",)

    def get_queryset(self) -> QuerySet[MatchCandidate]:
        return selectors.candidate_api_list(user=self.request.user)

    def _decide(self, decide: Any) -> Response:
        candidate = decide(candidate=self.get_object(), actor=self.request.user)
        return Response(CandidateSerializer(self.get_queryset().get(pk=candidate.pk)).data)

    @extend_schema(request=None, responses={200: CandidateSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(candidate_accept)

    @extend_schema(request=None, responses={200: CandidateSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(candidate_reject)

    @extend_schema(request=None, responses={200: CandidateSerializer})
    @action(detail=True, methods=["post"])
    def related(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(candidate_mark_related)
