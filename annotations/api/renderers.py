"""Renderers beside JSON: JSON-LD (W3C Web Annotation, schema.org), plain text, CSV and XLSX.

The CSV and XLSX renderers only take part in content negotiation (`?format=csv` or an Accept
header picks them); the export views stream their bytes themselves.
"""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer

W3C_ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
JSONLD = "application/ld+json"
# The media type the W3C Web Annotation Protocol names for annotations (section 4).
W3C_ANNO_MEDIA_TYPE = f'{JSONLD}; profile="{W3C_ANNO_CONTEXT}"'
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JSONLDRenderer(JSONRenderer):
    """`Accept: application/ld+json` (with or without a profile) or `?format=jsonld`.

    The media type carries no profile parameter on purpose: DRF only matches a client's Accept
    that repeats every parameter, so a profiled type here would refuse a plain ld+json request.
    Views set the profiled Content-Type on the response themselves.
    """

    media_type = JSONLD
    format = "jsonld"


class PlainTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return (
            data.encode(self.charset) if isinstance(data, str) else str(data).encode(self.charset)
        )


class CSVRenderer(BaseRenderer):
    # Only streamed responses use it; a plain Response (OPTIONS, errors) is answered in JSON.
    streams_only = True
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        raise NotImplementedError("CSV exports are streamed by the view.")


class XLSXRenderer(BaseRenderer):
    streams_only = True
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        raise NotImplementedError("XLSX exports are written by the view.")
