"""Staff profiles (territorial scope) and API keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from complaints.models.territory import TerritorialUnit


class Profile(models.Model):
    """Per-user settings: UI/email language and the territorial scope of reviewers and coordinators.

    A unit covers its descendants. No units means no territorial restriction.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(_("language"), max_length=8, default="ru")
    units = models.ManyToManyField(TerritorialUnit, blank=True, related_name="+", verbose_name=_("scope"))

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class ApiKey(AbstractAPIKey):
    """An API client's key: hashed at rest, shown once, prefixed, revocable.

    The key acts as its ``user`` (a service account): that user's role groups and scope apply.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")  # type: ignore[assignment]
        verbose_name_plural = _("API keys")  # type: ignore[assignment]
