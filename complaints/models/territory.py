"""Elections, the territorial tree and polling stations."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.taxonomy import localized


class ElectionKind(models.TextChoices):
    PRESIDENTIAL = "presidential", _("Presidential")
    PARLIAMENTARY = "parliamentary", _("Parliamentary")
    LOCAL = "local", _("Local")
    REFERENDUM = "referendum", _("Referendum")


class ElectionStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class Election(models.Model):
    slug = models.SlugField(_("short name (for URLs)"), max_length=80, unique=True)
    name_ru = models.CharField(_("name (ru)"), max_length=200)
    name_kk = models.CharField(_("name (kk)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (en)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ElectionKind.choices)
    voting_day = models.DateField(_("voting day"))
    campaign_starts_on = models.DateField(
        _("campaign starts on"),
        null=True,
        blank=True,
        help_text=_(
            "The earliest day a complaint about this election may say it happened. "
            "Empty: ELECTION_CAMPAIGN_DAYS days before the voting day."
        ),
    )
    identity_retention_until = models.DateTimeField(
        _("reporters' identity kept until"),
        null=True,
        blank=True,
        help_text=_(
            "When the dispute window closes: after this moment the names and contacts of this election's "
            "reporters are erased (complaints and evidence are kept). Empty: kept until this is set."
        ),
    )
    country = models.CharField(_("country"), max_length=2, default="KZ")
    status = models.CharField(
        _("status"), max_length=10, choices=ElectionStatus.choices, default=ElectionStatus.UPCOMING
    )

    class Meta:
        ordering = ["-voting_day"]
        verbose_name = _("election")
        verbose_name_plural = _("elections")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class UnitLevel(models.TextChoices):
    COUNTRY = "country", _("Country")
    REGION = "region", _("Region")
    DISTRICT = "district", _("District")


class TerritorialUnit(models.Model):
    """A node of the administrative tree.

    ``path`` is a materialised path of codes ("KZ/PAV/PAV-EK/"): a unit covers
    every unit whose path starts with its own, so scope checks and region filters
    are one indexed prefix match instead of a recursive query.
    """

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=UnitLevel.choices)
    name_ru = models.CharField(_("name (ru)"), max_length=200)
    name_kk = models.CharField(_("name (kk)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (en)"), max_length=200, blank=True)
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("territorial unit")
        verbose_name_plural = _("territorial units")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived data, not a business rule: the path always mirrors parent + code.
        self.path = self.compute_path()
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id and self.parent else ""
        return f"{prefix}{self.code}/"


class PollingStation(models.Model):
    unit = models.ForeignKey(
        TerritorialUnit, on_delete=models.PROTECT, related_name="polling_stations", verbose_name=_("territorial unit")
    )
    number = models.CharField(_("number"), max_length=20)
    address = models.CharField(_("address"), max_length=300)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["unit__path", "number"]
        verbose_name = _("polling station")
        verbose_name_plural = _("polling stations")
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="polling_station_unique_number"),
        ]
        indexes = [models.Index(fields=["number"], name="polling_station_number")]

    def __str__(self) -> str:
        return f"№{self.number}, {self.address}"
