"""Serializers for claims, relations, candidates and the claim table export.

As in annotations/api: output serializers describe rows, input serializers only validate; the
views hand the clean data to claims.services.
"""

from __future__ import annotations

from rest_framework import serializers

from claims.api.text_serializers import VisibleClaimField
from claims.models import Claim, ClaimKind, ClaimRelation, ClaimStatus, MatchCandidate, RelationKind


class ClaimSerializer(serializers.ModelSerializer):
    mention_count = serializers.IntegerField(read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "project",
            "statement",
            "kind",
            "status",
            "verdict_summary",
            "tags",
            "notes",
            "origin",
            "external_ref",
            "version",
            "mention_count",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ClaimCreateSerializer(serializers.Serializer):
    """A tracked claim, typed in (its matching in every article starts after commit)."""

    project = serializers.IntegerField(min_value=1)
    statement = serializers.CharField(help_text="The claim in normalised wording.")
    kind = serializers.ChoiceField(choices=ClaimKind.choices, default=ClaimKind.FACT)
    status = serializers.ChoiceField(choices=ClaimStatus.choices, default=ClaimStatus.UNVERIFIED)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=100, required=False, default=list
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ClaimUpdateSerializer(serializers.Serializer):
    """PUT sends statement, kind and status at least; PATCH any subset. Send `If-Match` with the
    ETag you read to refuse overwriting someone else's change (412)."""

    statement = serializers.CharField()
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    verdict_summary = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=100, required=False
    )
    notes = serializers.CharField(required=False, allow_blank=True)


class ClaimExportRowSerializer(serializers.Serializer):
    """One row of the claim table (JSON export; CSV and XLSX show the labels as status and
    kind, and the project's name instead of its id)."""

    id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    statement = serializers.CharField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    verdict_summary = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    mention_count = serializers.IntegerField()
    article_count = serializers.IntegerField()
    source_count = serializers.IntegerField(help_text="Distinct outlets that state the claim.")
    outlets = serializers.ListField(child=serializers.CharField())
    first_appearance = serializers.DateTimeField(
        allow_null=True, help_text="Earliest article publication (else load) time."
    )
    last_appearance = serializers.DateTimeField(allow_null=True)
    quotes = serializers.ListField(
        child=serializers.CharField(),
        help_text="The mentions' exact words, in order of appearance.",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    project = serializers.CharField(help_text="The project's name.")
    status_label = serializers.CharField(help_text="The status as CSV and XLSX show it.")
    kind_label = serializers.CharField(help_text="The kind as CSV and XLSX show it.")


class RelationSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ClaimRelation
        fields = ["id", "source_claim", "target_claim", "kind", "note", "created_by", "created_at"]
        read_only_fields = fields


class RelationCreateSerializer(serializers.Serializer):
    source_claim = serializers.IntegerField(min_value=1)
    target_claim = VisibleClaimField()
    kind = serializers.ChoiceField(choices=RelationKind.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CandidateSerializer(serializers.ModelSerializer):
    claim_statement = serializers.CharField(source="claim.statement", read_only=True)
    passage_text = serializers.CharField(source="passage.text", read_only=True, allow_null=True)
    signals = serializers.JSONField(read_only=True, help_text="Evidence behind the score.")
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = MatchCandidate
        fields = [
            "id",
            "project",
            "claim",
            "claim_statement",
            "passage",
            "passage_text",
            "article",
            "target_claim",
            "start",
            "end",
            "score",
            "signals",
            "engine_version",
            "state",
            "reviewer",
            "reviewed_at",
            "annotation",
            "created_at",
        ]
        read_only_fields = fields
