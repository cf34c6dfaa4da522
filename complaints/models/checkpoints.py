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

    serial = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField()
    label = models.CharField(_("label"), max_length=200, blank=True)
    trigger = models.CharField(max_length=12, choices=CheckpointTrigger.choices)
    chains = models.PositiveIntegerField()
    events = models.PositiveBigIntegerField()
    merkle_root = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    statement = models.JSONField()
    signature = models.CharField(max_length=200)
    heads = models.JSONField(default=list)

    class Meta:
        ordering = ["serial"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.serial} ({self.created_at:%Y-%m-%d %H:%M})"
