"""Admin for notifications: the outbox (dead letters and replay), subscriptions, delivery log.

Read-only except for the actions, which call the services in ``services.webhooks``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaints.models import OutboxMessage, OutboxStatus, WebhookDelivery, WebhookSubscription
from complaints.services.webhooks import ReplayRefused, outbox_replay, webhook_secret_rotate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ("created_at", "attempt", "status_code", "latency_ms", "error")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-id",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "channel", "to", "status", "attempts", "next_attempt_at", "delivered_at")
    list_filter = ("status", "channel", "event_type")
    search_fields = ("idempotency_key", "complaint__code")
    date_hierarchy = "created_at"
    list_select_related = ("subscription",)
    actions = ["replay"]
    inlines = [DeliveryInline]

    @admin.display(description=_("to"))
    def to(self, obj: OutboxMessage) -> str:
        return str(obj.subscription) if obj.subscription_id else obj.recipient

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("complaints.change_outboxmessage")

    @admin.action(description=_("Replay the selected dead-lettered notifications"), permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        done, refused = 0, []
        for message in queryset.filter(status__in=[OutboxStatus.DEAD, OutboxStatus.SKIPPED]):
            try:
                outbox_replay(message=message)
                done += 1
            except ReplayRefused as exc:
                refused.append(f"#{message.pk}: {exc}")
        self.message_user(
            request, ngettext("%d notification queued again.", "%d notifications queued again.", done) % done
        )
        for text in refused:
            self.message_user(request, text, level=messages.WARNING)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "url", "owner", "is_active", "disabled_reason", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "owner__username")
    exclude = ("secret", "previous_secret")
    readonly_fields = ("previous_secret_expires_at", "disabled_reason")
    actions = ["rotate_secret", "enable"]

    @admin.action(description=_("Rotate the secret (the old one stays valid for the overlap period)"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            secret = webhook_secret_rotate(subscription=subscription)
            self.message_user(
                request,
                _("New secret for %(url)s (shown once): %(secret)s") % {"url": subscription.url, "secret": secret},
            )

    @admin.action(description=_("Enable the selected subscriptions"))
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        queryset.update(is_active=True, disabled_reason="")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "subscription", "message", "attempt", "status_code", "latency_ms")
    list_filter = ("status_code",)
    search_fields = ("message__idempotency_key", "subscription__url")
    list_select_related = ("subscription", "message")
