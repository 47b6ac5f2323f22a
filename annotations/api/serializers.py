"""Serializers for projects, sources, articles and annotations.

Output serializers describe rows; input serializers only parse and validate, and the views pass
their data to the services (no serializer saves anything: see STYLE, "Where logic lives").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotations.models import Annotation, Article, Project, Role, Source, Stance
from annotations.permissions import projects_for
from claims.models import Claim, ClaimKind, ClaimStatus

MSG_FILE_TOO_LARGE = "The file is {size:,} bytes; the limit is {limit:,} bytes."


class ProjectSerializer(serializers.ModelSerializer):
    my_role = serializers.ChoiceField(
        choices=Role.choices, read_only=True, help_text="Your role in the project."
    )
    article_count = serializers.IntegerField(read_only=True)
    claim_count = serializers.IntegerField(read_only=True)
    pending_count = serializers.IntegerField(
        read_only=True, help_text="Match candidates waiting for review."
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "my_role",
            "article_count",
            "claim_count",
            "pending_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProjectCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    slug = serializers.SlugField(max_length=180, required=False, allow_blank=True, default="")


# Output URLs that may be empty: a string, not "format: uri", so "" matches the schema.
_OPTIONAL_URL = {"read_only": True, "help_text": "An http(s) address, or empty if unknown."}


class SourceSerializer(serializers.ModelSerializer):
    article_count = serializers.IntegerField(read_only=True)
    url = serializers.CharField(**_OPTIONAL_URL)

    class Meta:
        model = Source
        fields = ["id", "project", "name", "domain", "url", "article_count", "created_at"]
        read_only_fields = fields


class ArticleSerializer(serializers.ModelSerializer):
    """An article without its text (lists); ArticleDetailSerializer adds the text."""

    source_name = serializers.CharField(source="source.name", read_only=True, allow_null=True)
    annotation_count = serializers.IntegerField(read_only=True)
    url = serializers.CharField(**_OPTIONAL_URL)

    class Meta:
        model = Article
        fields = [
            "id",
            "project",
            "source",
            "source_name",
            "title",
            "url",
            "byline",
            "published_at",
            "language",
            "revision",
            "processing_state",
            "processing_error",
            "processed_at",
            "matched_at",
            "annotation_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ArticleDetailSerializer(ArticleSerializer):
    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "text"]
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


class AnnotationSerializer(serializers.ModelSerializer):
    claim_statement = serializers.CharField(source="claim.statement", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Annotation
        fields = [
            "id",
            "article",
            "claim",
            "claim_statement",
            "start",
            "end",
            "exact",
            "prefix",
            "suffix",
            "stance",
            "anchor_state",
            "origin",
            "note",
            "author",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class VisibleClaimField(serializers.PrimaryKeyRelatedField):
    """A claim id among the requesting user's projects; others are "does not exist" (400)."""

    def get_queryset(self) -> Any:
        user = self.context["request"].user
        return Claim.objects.filter(project__in=projects_for(user)).defer(
            "embedding", "search_vector"
        )


class AnnotationCreateSerializer(serializers.Serializer):
    """Mark a span of an article as a mention of an existing claim or of a new one."""

    article = serializers.IntegerField(min_value=1)
    start = serializers.IntegerField(min_value=0, help_text="First character (code points).")
    end = serializers.IntegerField(min_value=1, help_text="One past the last character.")
    claim = VisibleClaimField(
        required=False, allow_null=True, default=None, help_text="An existing claim; or omit."
    )
    statement = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Wording of the new claim (default: the marked text).",
    )
    kind = serializers.ChoiceField(choices=ClaimKind.choices, default=ClaimKind.FACT)
    status = serializers.ChoiceField(choices=ClaimStatus.choices, default=ClaimStatus.UNVERIFIED)
    stance = serializers.ChoiceField(choices=Stance.choices, default=Stance.ASSERTS)
    exact = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        trim_whitespace=False,
        help_text="The marked text as the client saw it; refused (409) if the article differs.",
    )
