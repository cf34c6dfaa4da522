"""The append-only, hash-chained audit event."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint


class AuditEvent(models.Model):
    """One link of a complaint's hash chain. Append-only (a trigger enforces it on PostgreSQL).

    ``hash`` = sha256(prev_hash + canonical JSON of the event); see complaints/audit.py.
    """

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="audit_events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["complaint_id", "seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "seq"], name="audit_chain_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}#{self.seq} {self.action}"
