"""Staff profiles (territorial scope) and API keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from complaints.models.territory import TerritorialUnit


class Profile(models.Model):
    """Per-user settings: UI/email language and the territorial scope of reviewers and coordinators.

    A unit covers its descendants. Staff with no unit see no complaint (scope fails closed)
    unless marked ``nationwide``; every change of scope is recorded as a ``ScopeChange``.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=8, default="ru")
    units = models.ManyToManyField(TerritorialUnit, blank=True, related_name="+", verbose_name=_("scope"))
    nationwide = models.BooleanField(
        _("nationwide"),
        default=False,
        help_text=_("Sees complaints from every region. Without it, and without units, a staff member sees none."),
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class ScopeChange(models.Model):
    """Who widened or narrowed whose territorial scope, and when: append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("staff member")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scope change")
        verbose_name_plural = _("scope changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"scope of {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class ApiKey(AbstractAPIKey):
    """An API client's key: hashed at rest, shown once, prefixed, revocable.

    The key acts as its ``user`` (a service account): that user's role groups and scope apply.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("user")
    )
    # The library's fields, as it declares them, with translatable names for the admin.
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    name = models.CharField(
        _("name"),
        max_length=50,
        blank=False,
        default=None,
        help_text=_("A free-form name for the API key. Need not be unique. 50 characters max."),
    )
    revoked = models.BooleanField(
        _("revoked"),
        blank=True,
        default=False,
        help_text=_("If the API key is revoked, clients cannot use it anymore. (This cannot be undone.)"),
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")  # type: ignore[assignment]
        verbose_name_plural = _("API keys")  # type: ignore[assignment]
