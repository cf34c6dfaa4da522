"""Admin for notifications: the outbox (dead letters and replay), subscriptions, delivery log.

Email recipients (often the complainant) are shown masked and cannot be looked up.

Read-only except for the actions, which call the services in ``services.webhooks``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaints.masking import mask_email
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


# An email row's recipient is often the complainant, beside the complaint's code: shown
# masked, and never a lookup in a URL (``?recipient=...`` would say who filed what).
OUTBOX_IDENTITY_FIELDS = frozenset({"recipient", "payload"})


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "channel", "to", "status", "attempts", "next_attempt_at", "delivered_at")
    list_filter = ("status", "channel", "event_type")
    search_fields = ("idempotency_key", "complaint__code")
    date_hierarchy = "created_at"
    list_select_related = ("subscription",)
    exclude = ("recipient",)
    readonly_fields = ("masked_recipient",)
    actions = ["replay"]
    inlines = [DeliveryInline]

    @admin.display(description=_("to"))
    def to(self, obj: OutboxMessage) -> str:
        return str(obj.subscription) if obj.subscription_id else mask_email(obj.recipient)

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj: OutboxMessage) -> str:
        return mask_email(obj.recipient) or "—"

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        if lookup.split(LOOKUP_SEP, 1)[0] in OUTBOX_IDENTITY_FIELDS:
            return False  # answered 400 by the change list
        return super().lookup_allowed(lookup, value, request)

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
    list_display = ("id", "url", "owner", "api_key", "is_active", "disabled_reason", "created_at")
    list_select_related = ("owner", "api_key")
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
