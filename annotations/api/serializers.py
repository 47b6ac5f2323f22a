"""Serializers for outlets and for the input of new projects and articles.

Output serializers describe rows; input serializers only parse and validate, and the views pass
their data to the services (no serializer saves anything: see STYLE, "Where logic lives").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from annotations.models import Source

MSG_FILE_TOO_LARGE = "The file is {size:,} bytes; the limit is {limit:,} bytes."


class ProjectCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    slug = serializers.SlugField(max_length=180, required=False, allow_blank=True, default="")


# Output URLs that may be empty: a string, not "format: uri", so "" matches the schema.
OPTIONAL_URL = {"read_only": True, "help_text": "An http(s) address, or empty if unknown."}


class SourceSerializer(serializers.ModelSerializer):
    article_count = serializers.IntegerField(read_only=True)
    url = serializers.CharField(**OPTIONAL_URL)

    class Meta:
        model = Source
        fields = ["id", "project", "name", "domain", "url", "article_count", "created_at"]
        read_only_fields = fields


class _ArticleMetaSerializer(serializers.Serializer):
    """Metadata an editor may give with any kind of load; given values win over found ones."""

    project = serializers.IntegerField(min_value=1, help_text="The project to load into.")
    title = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    outlet = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Outlet name."
    )
    byline = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    published_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    language = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        default="",
        help_text="An ISO 639-1 code (“pt-BR” is kept as “pt”); detected if left out.",
    )


class ArticleCreateSerializer(_ArticleMetaSerializer):
    text = serializers.CharField(trim_whitespace=False, help_text="The article text as published.")
    url = serializers.URLField(max_length=2000, required=False, allow_blank=True, default="")


class ArticleUploadSerializer(_ArticleMetaSerializer):
    file = serializers.FileField(help_text="A .txt, .md or .html file.")
    url = serializers.URLField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_file(self, value: Any) -> Any:
        limit = settings.CLAIMTRACK_MAX_UPLOAD_BYTES
        if value.size > limit:
            raise serializers.ValidationError(
                MSG_FILE_TOO_LARGE.format(size=value.size, limit=limit)
            )
        return value


class ArticleFromURLSerializer(_ArticleMetaSerializer):
    url = serializers.URLField(max_length=2000, help_text="An http(s) address to fetch.")
