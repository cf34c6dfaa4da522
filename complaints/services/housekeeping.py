"""Housekeeping: purge disposable records past their keep time."""

from __future__ import annotations

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone

from complaints.models import IdempotencyRecord, WebhookDelivery
from complaints.services.held import held_uploads_purge
from complaints.services.retention import identities_purge_due


def housekeeping_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete disposable records past their keep time: idempotency records (a client's retry
    window is hours, not weeks), old webhook delivery log rows, and the login-throttling
    logs (each login's IP address and browser string) after ``AXES_LOG_RETENTION_DAYS``;
    and the reporters' identity in elections whose dispute window has closed (audited,
    ``services.retention``); and expired held uploads of filing forms (also swept every
    quarter of an hour, ``services.held``). Safe to run twice."""
    now = now or timezone.now()
    idempotency, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    ).delete()
    deliveries, _ = WebhookDelivery.objects.filter(
        created_at__lt=now - timedelta(days=settings.WEBHOOK_DELIVERY_LOG_KEEP_DAYS)
    ).delete()
    axes_cutoff = now - timedelta(days=settings.AXES_LOG_RETENTION_DAYS)
    # AccessAttempt rows cascade to their AccessAttemptExpiration: count the attempts only.
    attempts = AccessAttempt.objects.filter(attempt_time__lt=axes_cutoff).delete()[1].get(AccessAttempt._meta.label, 0)
    logs, _ = AccessLog.objects.filter(attempt_time__lt=axes_cutoff).delete()
    failures, _ = AccessFailureLog.objects.filter(attempt_time__lt=axes_cutoff).delete()
    return {
        "idempotency_records": idempotency,
        "webhook_deliveries": deliveries,
        "axes_access_attempts": attempts,
        "axes_access_logs": logs,
        "axes_access_failure_logs": failures,
        "identities_purged": identities_purge_due(now=now),
        "held_uploads": held_uploads_purge(now=now),
    }
