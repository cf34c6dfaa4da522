"""The violation categories and severities, with names in ru/kk/en."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("ru", "kk", "en")


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """``obj.<field>_<lang>`` for the active language, falling back to ru, then en."""
    lang = (language or get_language() or "ru")[:2]
    for candidate in (lang, "ru", "en"):
        value = getattr(obj, f"{field}_{candidate}", "")
        if value:
            return str(value)
    return ""


class Severity(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Category(models.Model):
    """A violation category. ``code`` is stable: API clients and reports key on it."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    code = models.CharField(
        _("code"),
        max_length=60,
        unique=True,
        help_text=_("Stable dotted code, e.g. pressure.employer. Never change it once used."),
    )
    name_ru = models.CharField(_("name (ru)"), max_length=200)
    name_kk = models.CharField(_("name (kk)"), max_length=200)
    name_en = models.CharField(_("name (en)"), max_length=200)
    help_ru = models.TextField(_("help text (ru)"), blank=True)
    help_kk = models.TextField(_("help text (kk)"), blank=True)
    help_en = models.TextField(_("help text (en)"), blank=True)
    default_severity = models.PositiveSmallIntegerField(
        _("default severity"), choices=Severity.choices, default=Severity.MEDIUM
    )
    legal_reference = models.CharField(_("legal reference"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("violation category")
        verbose_name_plural = _("violation categories")

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def help_text(self) -> str:
        return localized(self, "help")
