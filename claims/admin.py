"""Admin for claims, mentions, relations, candidates and the alias table, scoped to the user's
projects and roles through annotations.admin_scoping; the project and article pages of the
texts app are registered again here with their claim counts and mentions."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.utils.html import format_html

from annotations import admin as text_admin
from annotations.admin import SCOPED
from annotations.admin_scoping import ProjectScopedInline, ScopedHistoryAdmin
from annotations.models import Article, Project, Role
from annotations.permissions import has_role
from claims.models import Alias, Annotation, Claim, ClaimRelation, MatchCandidate


class MentionInline(ProjectScopedInline):
    model = Annotation
    fk_name = "claim"
    extra = 0
    fields = ["article", "exact", "stance", "anchor_state", "origin", "author"]
    readonly_fields = ["article", "exact", "anchor_state", "origin", "author"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RelationInline(ProjectScopedInline):
    model = ClaimRelation
    fk_name = "source_claim"
    extra = 0
    fields = ["kind", "target_claim", "note", "created_by"]
    readonly_fields = ["created_by"]
    autocomplete_fields = ["target_claim"]


@admin.register(Claim)
class ClaimAdmin(ScopedHistoryAdmin):
    list_display = [
        "statement",
        "project",
        "kind",
        "status",
        "origin",
        "mention_count",
        "created_at",
    ]
    list_filter = ["status", "kind", "origin", ("project", SCOPED)]
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
class ClaimRelationAdmin(ScopedHistoryAdmin):
    project_path = "source_claim__project"
    list_display = ["source_claim", "kind", "target_claim", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["source_claim__statement", "target_claim__statement"]
    autocomplete_fields = ["source_claim", "target_claim"]
    list_select_related = ["source_claim", "target_claim", "created_by"]
    readonly_fields = ["created_by"]

    def save_model(self, request: HttpRequest, obj: ClaimRelation, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = cast(User, request.user)  # the admin serves signed-in staff only
        super().save_model(request, obj, form, change)


@admin.register(MatchCandidate)
class MatchCandidateAdmin(ScopedHistoryAdmin):
    list_display = [
        "claim",
        "target",
        "score",
        "state",
        "engine_version",
        "reviewer",
        "reviewed_at",
    ]
    list_filter = ["state", "engine_version", ("project", SCOPED)]
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
class AliasAdmin(ScopedHistoryAdmin):
    """Project aliases need the editor role in their project. A global alias (no project)
    changes matching in every project, so no single project's role covers it: superusers
    only. Every staff member still sees the global ones, since they shape their matching."""

    list_display = ["variant", "canonical", "project", "note", "created_by"]
    list_filter = [("project", SCOPED)]
    search_fields = ["variant", "canonical", "note"]
    readonly_fields = ["created_by"]

    def visible(self, request: HttpRequest) -> Q:
        return super().visible(request) | Q(project__isnull=True)

    def allows(self, request: HttpRequest, obj: Any, minimum: Role) -> bool:
        if obj is not None and obj.project_id is None and not request.user.is_superuser:
            return minimum == Role.VIEWER
        return super().allows(request, obj, minimum)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "project" and field is not None and not request.user.is_superuser:
            field.required = True  # an empty project would make the alias global
        return field

    def save_model(self, request: HttpRequest, obj: Alias, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = cast(User, request.user)  # the admin serves signed-in staff only
        super().save_model(request, obj, form, change)


class AnnotationInline(ProjectScopedInline):
    model = Annotation
    extra = 0
    fields = ["claim", "start", "end", "exact", "stance", "anchor_state", "origin", "author"]
    readonly_fields = ["claim", "start", "end", "exact", "anchor_state", "origin", "author"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # mentions are made in the reader or the API, which check the span


admin.site.unregister(Project)
admin.site.unregister(Article)


@admin.register(Project)
class ProjectAdmin(text_admin.ProjectAdmin):
    list_display = ["name", "slug", "article_count", "claim_count", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return super().get_queryset(request).annotate(n_claims=Count("claims", distinct=True))

    @admin.display(description="Claims", ordering="n_claims")
    def claim_count(self, obj: Project) -> int:
        return obj.n_claims  # type: ignore[attr-defined]


@admin.register(Article)
class ArticleAdmin(text_admin.ArticleAdmin):
    inlines = [AnnotationInline, text_admin.PassageInline]


@admin.register(Annotation)
class AnnotationAdmin(ScopedHistoryAdmin):
    project_path = "article__project"
    list_display = [
        "quote",
        "claim",
        "article",
        "stance",
        "anchor_state",
        "origin",
        "author",
        "created_at",
    ]
    list_filter = ["anchor_state", "origin", "stance", ("article__project", SCOPED)]
    search_fields = ["exact", "claim__statement"]
    list_select_related = ["article", "claim", "author"]
    readonly_fields = [
        "article",
        "claim",
        "start",
        "end",
        "exact",
        "prefix",
        "suffix",
        "anchor_state",
        "origin",
        "author",
        "version",
        "created_at",
        "updated_at",
        "in_context",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Quote")
    def quote(self, obj: Annotation) -> str:
        return obj.exact[:80]

    @admin.display(description="In context")
    def in_context(self, obj: Annotation) -> str:
        # format_html escapes every argument: article text is untrusted.
        return format_html("…{}<mark>{}</mark>{}…", obj.prefix, obj.exact, obj.suffix)
