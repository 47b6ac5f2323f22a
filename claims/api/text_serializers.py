"""Serializers for projects, articles and mentions as the API shows them, with what is marked
in them (counts of claims, reviews and mentions), and for the input of new mentions.

Output serializers describe rows; input serializers only parse and validate, and the views pass
their data to the services (no serializer saves anything: see STYLE, "Where logic lives").
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotations.api.serializers import OPTIONAL_URL
from annotations.models import Article, Project, Role
from annotations.permissions import projects_for
from claims.models import Annotation, Claim, ClaimKind, ClaimStatus, Stance


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


class ArticleSerializer(serializers.ModelSerializer):
    """An article without its text (lists); ArticleDetailSerializer adds the text."""

    source_name = serializers.CharField(source="source.name", read_only=True, allow_null=True)
    annotation_count = serializers.IntegerField(read_only=True)
    url = serializers.CharField(**OPTIONAL_URL)

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
