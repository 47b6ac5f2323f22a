"""OpenAPI details every endpoint shares: the error body and the error statuses it can answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

# Statuses any authenticated endpoint can answer: bad input, no credentials, low role, unknown id.
COMMON_ERRORS = ("400", "401", "403", "404")


class ErrorSerializer(serializers.Serializer):
    """What every error looks like (see common.api.exception_handler)."""

    detail = serializers.CharField(help_text="A message a person can act on.")
    code = serializers.CharField(help_text="A machine-readable error code.")
    errors = serializers.DictField(
        required=False, help_text="Per-field messages, for invalid input."
    )
    article_id = serializers.IntegerField(
        required=False, help_text="For a duplicate article: the article already holding the text."
    )


class ClaimtrackAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the JSON error responses of common.api."""

    extra_errors: tuple[str, ...] = ()

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in (*COMMON_ERRORS, *self._extra_error_codes()):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, media_types=["application/json"], direction=direction
                )
        return responses

    def _extra_error_codes(self) -> tuple[str, ...]:
        """406 where the format is negotiated; 409 where a write can clash; 412 where If-Match
        is honoured (the last two declared on the view as `write_error_codes`)."""
        codes: tuple[str, ...] = ()
        if len(self.map_renderers("format")) > 1:
            codes += ("406",)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += tuple(getattr(self.view, "write_error_codes", ()))
        return codes


# --- W3C Web Annotation JSON-LD, as OpenAPI schemas (what annotations/api/jsonld.py writes) ---

_URI = {"type": "string", "format": "uri"}
_SELECTORS = {
    "type": "array",
    "items": {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["TextQuoteSelector"]},
                    "exact": {"type": "string"},
                    "prefix": {"type": "string"},
                    "suffix": {"type": "string"},
                },
                "required": ["type", "exact"],
            },
            {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": ["TextPositionSelector"]},
                    "start": {"type": "integer", "minimum": 0},
                    "end": {"type": "integer", "minimum": 0},
                },
                "required": ["type", "start", "end"],
            },
        ]
    },
}
WEB_ANNOTATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A mention as a W3C Web Annotation (JSON-LD, anno.jsonld context).",
    "properties": {
        "@context": {"type": "string", "enum": ["http://www.w3.org/ns/anno.jsonld"]},
        "id": _URI,
        "type": {"type": "string", "enum": ["Annotation"]},
        "motivation": {"type": "string"},
        "created": {"type": "string", "format": "date-time"},
        "modified": {"type": "string", "format": "date-time"},
        "creator": {"type": "object", "additionalProperties": True},
        "body": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
        "target": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["SpecificResource"]},
                "source": {"type": "object", "additionalProperties": True},
                "scope": {"type": "string"},
                "selector": _SELECTORS,
            },
            "required": ["type", "source", "selector"],
        },
    },
    "required": ["id", "type", "body", "target"],
}
ANNOTATION_PAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One W3C AnnotationPage of an article's annotations.",
    "properties": {
        "@context": {"type": "string"},
        "id": _URI,
        "type": {"type": "string", "enum": ["AnnotationPage"]},
        "partOf": _URI,
        "startIndex": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": WEB_ANNOTATION_SCHEMA},
        "next": _URI,
        "prev": _URI,
    },
    "required": ["id", "type", "items"],
}
ANNOTATION_COLLECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An article's annotations as a W3C AnnotationCollection (first page embedded).",
    "properties": {
        "@context": {"type": "string"},
        "id": _URI,
        "type": {"type": "string", "enum": ["AnnotationCollection"]},
        "label": {"type": "string"},
        "total": {"type": "integer", "minimum": 0},
        "first": ANNOTATION_PAGE_SCHEMA,
        "last": _URI,
    },
    "required": ["id", "type", "total"],
}
