"""Outbox messages, webhook subscriptions and their delivery log."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookSubscription(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("owner"),
    )
    # The API client (key) that made it: only that key sees and changes it, its delivery log
    # and its dead letters (another key of the same account does not). Empty for subscriptions
    # made in the admin or before keys were recorded: those are seen by no key.
    api_key = models.ForeignKey(
        "complaints.ApiKey",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        verbose_name=_("API key"),
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=100, default=new_webhook_secret)
    # During rotation both signatures are sent until this time.
    previous_secret = models.CharField(_("previous secret"), max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(_("previous secret valid until"), null=True, blank=True)
    event_types = models.JSONField(_("event types"), default=list, blank=True, help_text=_("Empty means all events."))
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=200, blank=True)
    # The circuit breaker (notifications/circuit.py): failures in a row (timeouts, network
    # errors, 408, 429, 5xx); while ``circuit_open_until`` is ahead, deliveries wait instead
    # of being sent; ``circuit_opens`` counts openings in a row, doubling the cool-down.
    # Operational state: changing it does not move ``updated_at``.
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    circuit_open_until = models.DateTimeField(_("deliveries paused until"), null=True, blank=True)
    circuit_opens = models.PositiveSmallIntegerField(_("pauses in a row"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.is_active and (not self.event_types or event_type in self.event_types)


class OutboxChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")
    # A filer's contact address (models/channels.py): the row's ``contact``, never ``recipient``.
    TELEGRAM = "telegram", _("Telegram")
    SMS = "sms", _("SMS")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead-lettered")
    SKIPPED = "skipped", _("Skipped")


class OutboxMessage(models.Model):
    """One notification to deliver, written in the transaction of the change that caused it."""

    event_type = models.CharField(_("event type"), max_length=60)
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("complaint"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=OutboxChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True, help_text=_("Email address"))
    recipient_language = models.CharField(_("recipient language"), max_length=8, default="ru")
    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("webhook subscription"),
    )
    # For the telegram and sms channels: the filer's sealed address (decrypted only to send).
    contact = models.ForeignKey(
        "complaints.ContactAddress",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("contact address"),
    )
    payload = models.JSONField(_("payload"), default=dict)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # Held by the worker sending it (a claim), until then.
    locked_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    # Reserved by the sweeper for the task it queued, until then: not queued again, and
    # taken only by a sweeper's task (the claim clears it).
    reserved_until = models.DateTimeField(_("queued until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        # Never the recipient: an email address (often the complainant's) beside a complaint.
        target = f"webhook {self.subscription_id}" if self.subscription_id else self.channel
        return f"{self.event_type} -> {target} [{self.status}]"


class WebhookDeliveryState(models.TextChoices):
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    # The worker stopped during the attempt (killed, crashed); found by the next attempt.
    INTERRUPTED = "interrupted", _("Interrupted")


class WebhookDelivery(models.Model):
    """The delivery log: one row per attempt, written (committed) before the request is sent.

    ``created_at`` is when the attempt started; the outcome fills in ``state``,
    ``status_code``, ``latency_ms``, ``error`` and ``finished_at``. A row still
    ``sending`` is in flight, or its worker died (then the next attempt marks it
    ``interrupted``).
    """

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook subscription")
    )
    message = models.ForeignKey(
        OutboxMessage, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("outbox message")
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    state = models.CharField(
        _("state"), max_length=12, choices=WebhookDeliveryState.choices, default=WebhookDeliveryState.SENDING
    )
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("response time, ms"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The per-subscription concurrency cap counts the attempts in flight.
            models.Index(
                fields=["subscription", "created_at"],
                name="webhook_delivery_in_flight",
                condition=Q(state="sending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} attempt {self.attempt}: {self.status_code}"
