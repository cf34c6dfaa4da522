"""Contact channels of filers (a Telegram chat, a phone for SMS, an email for updates) and the Telegram bot's state.

A ``ContactAddress`` is where a filer may be reached without saying who they are: the
address itself (a chat id, a phone number, an email) is sealed like reporter identity
(encrypted at rest, ``crypto``) and looked up only through its keyed hash. A complaint's
filer follows it through ``ComplaintContact``; the outbox writes a row per followed
address for the complainant's events (``notifications/outbox.py``), and the channel's
sender decrypts the address at send time. Reviewers never see any of it.

``TelegramConversation`` is the bot's short-lived state for one chat (what was asked,
the answers so far); ``TelegramUpdate`` is an update received from Telegram, kept sealed
until processed, unique on ``update_id`` so a retried delivery is processed once.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint
from complaints.models.fields import EncryptedTextField, KeyedHashField


class ContactKind(models.TextChoices):
    """How a contact address is reached; the outbox channel of the same name delivers to it."""

    TELEGRAM = "telegram", _("Telegram chat")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class ContactAddress(models.Model):
    """One place a filer can be reached: sealed, never shown to reviewers."""

    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    # The chat id, phone number or email, normalised by the service that records it.
    address = EncryptedTextField(_("address"), max_length=254)
    address_hash = KeyedHashField(
        _("address lookup hash"), source="address", kind="contact", max_length=64, editable=False
    )
    language = models.CharField(_("language"), max_length=8, default="ru")
    is_active = models.BooleanField(_("active"), default=True)
    # Why messages stopped (the bot was blocked, the number is gone): never the address.
    disabled_reason = models.CharField(_("why it was disabled"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("contact address")
        verbose_name_plural = _("contact addresses")
        constraints = [
            models.UniqueConstraint(fields=["kind", "address_hash"], name="contact_address_unique"),
        ]

    def __str__(self) -> str:
        # Never the address: this string shows in the admin beside outbox rows.
        return f"{self.get_kind_display()} #{self.pk}"


class ComplaintContact(models.Model):
    """The filer of ``complaint`` follows it at ``contact``: its complainant events go there."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("complaint")
    )
    contact = models.ForeignKey(
        ContactAddress, on_delete=models.CASCADE, related_name="follows", verbose_name=_("contact address")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("complaint followed by a contact")
        verbose_name_plural = _("complaints followed by contacts")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "contact"], name="complaint_contact_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} -> contact #{self.contact_id}"


class TelegramConversation(models.Model):
    """Where one chat is in the filing conversation; expires, and is cleared once filed."""

    contact = models.OneToOneField(
        ContactAddress, on_delete=models.CASCADE, related_name="conversation", verbose_name=_("contact address")
    )
    step = models.CharField(_("step"), max_length=20, blank=True)
    # The answers so far (election, category, place, time, text, files' Telegram ids and hashes).
    data = models.JSONField(_("answers so far"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ru")
    # Set by /language: then the chat's Telegram language no longer decides.
    language_chosen = models.BooleanField(_("language chosen"), default=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Telegram conversation")
        verbose_name_plural = _("Telegram conversations")

    def __str__(self) -> str:
        return f"conversation of contact #{self.contact_id}"


class TelegramUpdate(models.Model):
    """An update Telegram delivered (webhook or polling): sealed until processed, then emptied."""

    update_id = models.BigIntegerField(_("update id"), unique=True)
    # The update's JSON, encrypted (it carries the chat id and what the filer wrote).
    payload = EncryptedTextField(_("update"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    # Held by the worker processing it, until then (a claim, as for outbox rows).
    locked_until = models.DateTimeField(_("being processed until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["update_id"]
        verbose_name = _("Telegram update")
        verbose_name_plural = _("Telegram updates")
        indexes = [
            models.Index(fields=["received_at"], name="telegram_update_pending", condition=models.Q(processed_at=None)),
        ]

    def __str__(self) -> str:
        return f"update {self.update_id}"
