"""Published cases: a coordinator's public summary of a complaint's case, with the stripped evidence chosen for it."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint, Evidence
from complaints.models.taxonomy import Category, localized
from complaints.models.territory import Election, TerritorialUnit

# Lower case, without 0/o, 1/i/l, u: readable in a URL and aloud. Random, never derived from the receipt code.
SLUG_ALPHABET = "23456789abcdefghjkmnpqrstvwxyz"
SLUG_LENGTH = 10  # ~49 bits: not guessable, so unpublished and never-published cases cannot be probed
SUMMARY_MAX_LENGTH = 5000
TITLE_MAX_LENGTH = 200
UNPUBLISH_REASON_MAX_LENGTH = 500


def new_case_slug() -> str:
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


class PublicationLanguage(models.TextChoices):
    RU = "ru", "Русский"
    KK = "kk", "Қазақша"
    EN = "en", "English"


class PublishedCase(models.Model):
    """One complaint's public page. Unpublishing keeps the row (and its slug) with ``unpublished_at`` set."""

    complaint = models.OneToOneField(
        Complaint, on_delete=models.PROTECT, related_name="published_case", verbose_name=_("complaint")
    )
    slug = models.CharField(_("public id"), max_length=16, unique=True, default=new_case_slug, editable=False)
    language = models.CharField(
        _("language of the summary"), max_length=2, choices=PublicationLanguage.choices, default="ru"
    )
    title_ru = models.CharField(_("title (ru)"), max_length=TITLE_MAX_LENGTH, blank=True)
    title_kk = models.CharField(_("title (kk)"), max_length=TITLE_MAX_LENGTH, blank=True)
    title_en = models.CharField(_("title (en)"), max_length=TITLE_MAX_LENGTH, blank=True)
    summary = models.TextField(_("public summary"), max_length=SUMMARY_MAX_LENGTH)
    show_station = models.BooleanField(
        _("show the polling station"),
        default=False,
        help_text=_("The station's number, address and point on the map are published with the case."),
    )
    evidence = models.ManyToManyField(
        Evidence, blank=True, related_name="published_in", verbose_name=_("evidence published (stripped copies)")
    )
    # Copied from the complaint when published: the public filters read these columns.
    election = models.ForeignKey(
        Election, on_delete=models.PROTECT, related_name="published_cases", verbose_name=_("election")
    )
    region = models.ForeignKey(
        TerritorialUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_cases",
        verbose_name=_("region"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="published_cases", verbose_name=_("category")
    )
    occurred_on = models.DateField(_("incident date"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("published by"),
    )
    first_published_at = models.DateTimeField(_("first published at"))
    unpublished_at = models.DateTimeField(_("unpublished at"), null=True, blank=True)
    unpublished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("unpublished by"),
    )
    unpublish_reason = models.CharField(_("why it was unpublished"), max_length=UNPUBLISH_REASON_MAX_LENGTH, blank=True)

    # Not columns: ``selectors.published_cases`` annotates them, read live from the legal case.
    outcome: str
    changed_at: datetime

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("published case")
        verbose_name_plural = _("published cases")
        indexes = [
            models.Index(
                fields=["-published_at", "-id"], name="published_case_live", condition=Q(unpublished_at__isnull=True)
            ),
            models.Index(fields=["election", "region", "category"], name="published_case_filters"),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_published(self) -> bool:
        return self.unpublished_at is None

    @property
    def title(self) -> str:
        """The title in the reader's language, else Russian, English, Kazakh; else the summary's first line."""
        found = localized(self, "title") or self.title_kk
        if found:
            return found
        first = (self.summary.strip().splitlines() or [""])[0]
        return first if len(first) <= 120 else first[:119].rstrip() + "…"
