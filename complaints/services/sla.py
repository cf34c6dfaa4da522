"""SLA clocks: marking breaches (compare-and-set, safe to run twice) and the periodic check."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from complaints import workflow
from complaints.audit import audit_append
from complaints.events import EventType
from complaints.metrics import SLA_BREACHES
from complaints.models import Complaint
from complaints.notifications.outbox import outbox_record
from complaints.services._common import lock_complaint, save_complaint


def sla_breach_mark(*, complaint_id: int, now: datetime) -> bool:
    """Mark one breach; True if this call marked it. Safe to run twice (compare-and-set)."""
    with transaction.atomic():
        marked = Complaint.objects.filter(
            pk=complaint_id,
            sla_breached_at__isnull=True,
            sla_paused_at__isnull=True,
            due_at__lt=now,
            status__in=list(workflow.SLA_STATES),
        ).update(sla_breached_at=now)
        if not marked:
            return False
        complaint = lock_complaint(Complaint(pk=complaint_id), None)
        complaint.priority += 1
        save_complaint(complaint, ["priority"])
        audit_append(
            complaint=complaint,
            action="sla_breached",
            actor_label="system",
            payload={"due_at": complaint.due_at.isoformat() if complaint.due_at else None},
        )
        outbox_record(complaint=complaint, event_type=EventType.SLA_BREACHED)
        transaction.on_commit(SLA_BREACHES.inc, robust=True)
        return True


def sla_check(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    overdue = Complaint.objects.filter(
        sla_breached_at__isnull=True,
        sla_paused_at__isnull=True,
        due_at__lt=now,
        status__in=list(workflow.SLA_STATES),
    ).values_list("pk", flat=True)
    return sum(sla_breach_mark(complaint_id=pk, now=now) for pk in list(overdue[:5000]))
