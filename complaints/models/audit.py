"""The append-only, hash-chained audit event."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint


class AuditEvent(models.Model):
    """One link of a complaint's hash chain. Append-only (a trigger enforces it on PostgreSQL).

    ``hash`` = sha256(prev_hash + canonical JSON of the event); see complaints/integrity.py.
    """

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="audit_events", verbose_name=_("complaint")
    )
    seq = models.PositiveIntegerField(_("number in the chain"))
    action = models.CharField(_("action"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor (as recorded)"), max_length=150, blank=True)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    payload = models.JSONField(_("details"), default=dict)
    created_at = models.DateTimeField(_("created at"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)
    # Hash scheme 1 (the first rows) covers the event only; scheme 2 also the complaint's content
    # hash and the SHA-256 of its evidence (space-separated, upload order) when the event was written.
    scheme = models.PositiveSmallIntegerField(_("hash scheme"), default=1, db_default=1)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True, default="", db_default="")
    evidence_hashes = models.TextField(_("evidence hashes"), blank=True, default="", db_default="")

    class Meta:
        ordering = ["complaint_id", "seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "seq"], name="audit_chain_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}#{self.seq} {self.action}"
