"""Serializers of webhook subscriptions, their deliveries and the dead letters."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _l
from rest_framework import serializers

from complaints.api.serializers.common import (
    URL_PATTERN,
    WEBHOOK_EVENT_TYPES,
    StrictJSONMixin,
)
from complaints.models import (
    OutboxMessage,
    WebhookDelivery,
    WebhookSubscription,
)


class WebhookSubscriptionSerializer(StrictJSONMixin, serializers.ModelSerializer[WebhookSubscription]):
    url = serializers.URLField(
        max_length=500,
        validators=[RegexValidator(URL_PATTERN, _l("Use an http:// or https:// URL without credentials."))],
        help_text="http(s) only; must not point at a private address.",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENT_TYPES),
        required=False,
        max_length=len(WEBHOOK_EVENT_TYPES),
        help_text="Events to receive; empty means all.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "event_types",
            "is_active",
            "disabled_reason",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "disabled_reason", "previous_secret_expires_at", "created_at", "updated_at"]


class WebhookSubscriptionSecretSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The Standard Webhooks signing secret (whsec_...). Shown only now; store it."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    event_type = serializers.CharField(source="message.event_type", read_only=True)
    webhook_id = serializers.CharField(source="message.idempotency_key", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "message",
            "webhook_id",
            "event_type",
            "attempt",
            "status_code",
            "latency_ms",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class DeadLetterSerializer(serializers.ModelSerializer[OutboxMessage]):
    complaint: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    webhook_id = serializers.CharField(source="idempotency_key", read_only=True)

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "event_type",
            "subscription",
            "complaint",
            "webhook_id",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "created_at",
        ]
        read_only_fields = fields
