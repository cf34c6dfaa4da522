"""Housekeeping: purge disposable records past their keep time."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from complaints.models import IdempotencyRecord, WebhookDelivery


def housekeeping_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete disposable records past their keep time: idempotency records (a client's retry
    window is hours, not weeks) and old webhook delivery log rows. Safe to run twice."""
    now = now or timezone.now()
    idempotency, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    ).delete()
    deliveries, _ = WebhookDelivery.objects.filter(
        created_at__lt=now - timedelta(days=settings.WEBHOOK_DELIVERY_LOG_KEEP_DAYS)
    ).delete()
    return {"idempotency_records": idempotency, "webhook_deliveries": deliveries}
