"""Signed audit checkpoints: the head of every chain and their Merkle root, signed outside the database."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckpointTrigger(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    MANUAL = "manual", _("On demand")


class Checkpoint(models.Model):
    """One signed statement about every chain. Append-only (a trigger enforces it on PostgreSQL).

    ``statement`` is exactly what was signed (its canonical JSON, see complaints/integrity.py);
    ``heads`` lists ``[chain id, seq, head hash]`` per chain, sorted by chain id, the leaves of
    the Merkle root the statement carries. The signing key is never stored here.
    """

    serial = models.PositiveIntegerField(unique=True, verbose_name=_("serial"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    label = models.CharField(_("label"), max_length=200, blank=True)
    trigger = models.CharField(max_length=12, choices=CheckpointTrigger.choices, verbose_name=_("trigger"))
    chains = models.PositiveIntegerField(verbose_name=_("chains"))
    events = models.PositiveBigIntegerField(verbose_name=_("events"))
    merkle_root = models.CharField(max_length=64, verbose_name=_("merkle root"))
    key_id = models.CharField(max_length=16, verbose_name=_("key id"))
    statement = models.JSONField(verbose_name=_("statement"))
    signature = models.CharField(max_length=200, verbose_name=_("signature"))
    heads = models.JSONField(default=list, verbose_name=_("heads"))

    class Meta:
        ordering = ["serial"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.serial} ({self.created_at:%Y-%m-%d %H:%M})"
