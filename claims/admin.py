"""Admin for claims, relations, candidates and the alias table."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from annotations.admin import ProjectScopedAdmin
from annotations.models import Annotation, Project, Role
from annotations.permissions import has_role, projects_for
from claims.models import Alias, Claim, ClaimRelation, MatchCandidate


class MentionInline(admin.TabularInline):
    model = Annotation
    fk_name = "claim"
    extra = 0
    fields = ["article", "exact", "stance", "anchor_state", "origin", "author"]
    readonly_fields = ["article", "exact", "anchor_state", "origin", "author"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RelationInline(admin.TabularInline):
    model = ClaimRelation
    fk_name = "source_claim"
    extra = 0
    autocomplete_fields = ["target_claim"]


@admin.register(Claim)
class ClaimAdmin(ProjectScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "statement",
        "project",
        "kind",
        "status",
        "origin",
        "mention_count",
        "created_at",
    ]
    list_filter = ["status", "kind", "origin", "project"]
    search_fields = ["statement", "notes", "tags"]
    list_select_related = ["project"]
    readonly_fields = [
        "origin",
        "created_by",
        "created_at",
        "updated_at",
        "version",
        "mention_count",
    ]
    exclude = ["embedding", "search_vector"]
    inlines = [MentionInline, RelationInline]
    actions = ["rematch"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return super().get_queryset(request).annotate(n_mentions=Count("mentions"))

    @admin.display(description="Mentions", ordering="n_mentions")
    def mention_count(self, obj: Claim) -> int:
        return getattr(obj, "n_mentions", 0)

    @admin.action(description="Re-run matching for the projects of the selected claims")
    def rematch(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        from claims.matching import matching_rerun_project

        projects = Project.objects.filter(pk__in=queryset.values("project"))
        allowed = [p for p in projects if has_role(request.user, p, Role.EDITOR)]
        for project in allowed:
            matching_rerun_project(project_id=project.pk)
        self.message_user(
            request, f"Matching queued for {len(allowed)} project(s).", messages.SUCCESS
        )


@admin.register(ClaimRelation)
class ClaimRelationAdmin(ProjectScopedAdmin, SimpleHistoryAdmin):
    project_path = "source_claim__project"
    list_display = ["source_claim", "kind", "target_claim", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["source_claim__statement", "target_claim__statement"]
    autocomplete_fields = ["source_claim", "target_claim"]
    list_select_related = ["source_claim", "target_claim", "created_by"]


@admin.register(MatchCandidate)
class MatchCandidateAdmin(ProjectScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "claim",
        "target",
        "score",
        "state",
        "engine_version",
        "reviewer",
        "reviewed_at",
    ]
    list_filter = ["state", "engine_version", "project"]
    search_fields = ["claim__statement", "passage__text"]
    list_select_related = ["claim", "passage", "target_claim", "reviewer"]
    readonly_fields = [
        "project",
        "claim",
        "passage",
        "article",
        "target_claim",
        "start",
        "end",
        "score",
        "signals",
        "engine_version",
        "reviewer",
        "reviewed_at",
        "annotation",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # candidates come from the matcher

    @admin.display(description="Target")
    def target(self, obj: MatchCandidate) -> str:
        if obj.passage is not None:
            return obj.passage.text[:80]
        return str(obj.target_claim)


@admin.register(Alias)
class AliasAdmin(SimpleHistoryAdmin):
    list_display = ["variant", "canonical", "project", "note", "created_by"]
    list_filter = ["project"]
    search_fields = ["variant", "canonical", "note"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alias]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(project__in=projects_for(request.user)) | qs.filter(project__isnull=True)

    def save_model(self, request: HttpRequest, obj: Alias, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
