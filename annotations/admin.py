"""Admin for projects, outlets, articles and passages. The claims app extends the project and
article pages with what is marked in them (claim counts, mentions).

Every admin here is scoped through annotations.admin_scoping: staff who are not superusers see
only the projects they belong to, change only what their project role allows, and manage
members only as a project's owner.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from annotations.admin_scoping import ProjectScopedAdmin, ProjectScopedInline, ScopedHistoryAdmin
from annotations.models import Article, Membership, Passage, Project, Role, Source
from annotations.permissions import has_role
from annotations.services import article_reprocess

# Filter choices drawn from the rows the user may see, not from the whole table.
SCOPED = admin.RelatedOnlyFieldListFilter


class MembershipInline(ProjectScopedInline):
    """Who works on a project and in which role: its owners (and superusers) decide."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    minimum_role = Role.OWNER


@admin.register(Project)
class ProjectAdmin(ProjectScopedAdmin):
    project_path = "pk"
    list_display = ["name", "slug", "article_count", "created_at"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return super().get_queryset(request).annotate(n_articles=Count("articles", distinct=True))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Projects are created in the app, which makes the creator their owner; one made here
        # by a staff member would have no member, not even them.
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a project deletes everyone's work in it: its owners decide, as for members.
        return super().has_delete_permission(request, obj) and self.allows(request, obj, Role.OWNER)

    @admin.display(description="Articles", ordering="n_articles")
    def article_count(self, obj: Project) -> int:
        return obj.n_articles  # type: ignore[attr-defined]


@admin.register(Source)
class SourceAdmin(ProjectScopedAdmin):
    list_display = ["name", "domain", "project", "article_count"]
    list_filter = [("project", SCOPED)]
    search_fields = ["name", "domain"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).annotate(n_articles=Count("articles"))

    @admin.display(description="Articles", ordering="n_articles")
    def article_count(self, obj: Source) -> int:
        return obj.n_articles  # type: ignore[attr-defined]


class PassageInline(admin.TabularInline):
    model = Passage
    extra = 0
    # Every field read-only. A tuple: django-stubs types the two lists apart, a tuple fits both.
    fields = readonly_fields = ("ordinal", "start", "end", "text")
    can_delete = False
    max_num = 0
    ordering = ["ordinal"]


@admin.register(Article)
class ArticleAdmin(ScopedHistoryAdmin):
    list_display = [
        "title",
        "source",
        "project",
        "published_at",
        "language",
        "processing_state",
        "passage_count",
        "created_at",
    ]
    list_filter = ["processing_state", ("project", SCOPED), ("source", SCOPED), "language"]
    search_fields = ["title", "url", "byline", "text"]
    date_hierarchy = "published_at"
    list_select_related = ["source", "project"]
    readonly_fields = [
        "content_hash",
        "revision",
        "processing_state",
        "processing_error",
        "processed_at",
        "matched_at",
        "created_by",
        "created_at",
        "updated_at",
        "text_length",
    ]
    # The text is edited through a revision (re-anchoring), not in a form field.
    exclude = ["text"]
    inlines = [PassageInline]
    actions = ["reprocess"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return super().get_queryset(request).annotate(n_passages=Count("passages"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # articles are loaded through the loaders, which extract and deduplicate

    @admin.display(description="Passages", ordering="n_passages")
    def passage_count(self, obj: Article) -> int:
        return obj.n_passages  # type: ignore[attr-defined]

    @admin.display(description="Text length")
    def text_length(self, obj: Article) -> str:
        return f"{len(obj.text):,} characters"

    @admin.action(description="Re-process selected articles (segment, embed, match)")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset:
            if has_role(request.user, article.project, Role.EDITOR):
                article_reprocess(article=article)
                count += 1
        self.message_user(request, f"{count} article(s) queued for processing.", messages.SUCCESS)


@admin.register(Passage)
class PassageAdmin(ProjectScopedAdmin):
    project_path = "article__project"
    list_display = ["__str__", "article", "ordinal", "start", "end", "has_embedding"]
    list_filter = [("article__project", SCOPED)]
    search_fields = ["text"]
    list_select_related = ["article"]
    readonly_fields = ["article", "ordinal", "start", "end", "text", "has_embedding"]
    exclude = ["embedding", "search_vector"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(boolean=True, description="Embedded")
    def has_embedding(self, obj: Passage) -> bool:
        return obj.embedding is not None
