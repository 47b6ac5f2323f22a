"""Admin for the task outbox: what is waiting for the broker, and a button to send it now."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.models import OutboxMessage
from common.outbox import relay_unsent


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["task_name", "args", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["task_name", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["task_name", "last_error"]
    readonly_fields = ["task_name", "args", "created_at", "sent_at", "attempts", "last_error"]
    actions = ["relay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Operations, not editorial data: superusers only, whatever model permissions a staff
    # member holds. Change is closed too, since it alone opens the list in Django.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_superuser

    @admin.action(description="Send unsent messages to the broker now")
    def relay(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        sent = relay_unsent()
        self.message_user(request, f"{sent} message(s) sent.", messages.SUCCESS)
