"""Delivering outbox rows: claim with compare-and-set, send, record, schedule a retry."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from complaints.models import OutboxChannel, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
CLAIM_SECONDS = 60


def claim(message_id: int) -> OutboxMessage | None:
    """Take the row for this worker, unless it was delivered or another worker holds it."""
    now = timezone.now()
    taken = OutboxMessage.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        pk=message_id,
        status=OutboxStatus.PENDING,
    ).update(locked_until=now + timedelta(seconds=CLAIM_SECONDS))
    if not taken:
        return None
    return OutboxMessage.objects.select_related("subscription", "complaint").get(pk=message_id)


def next_delay(attempts: int) -> float | None:
    """Seconds to wait before attempt ``attempts + 1``, with jitter; None = give up."""
    schedule = settings.OUTBOX_RETRY_SCHEDULE
    if attempts >= len(schedule):
        return None
    base = schedule[attempts]
    return base + random.uniform(0, base * 0.1)  # noqa: S311 - jitter, not crypto


def deliver(message_id: int) -> bool:
    message = claim(message_id)
    if message is None:
        return False
    from complaints.notifications.channels import send

    try:
        send(message)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        _failed(message, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.DELIVERED,
        delivered_at=timezone.now(),
        attempts=message.attempts + 1,
        locked_until=None,
        last_error="",
    )
    return True


def _failed(message: OutboxMessage, exc: Exception) -> None:
    attempts = message.attempts + 1
    delay = next_delay(attempts)
    retry_after = getattr(exc, "retry_after", None)
    if delay is not None and retry_after:
        delay = max(delay, float(retry_after))
    update: dict[str, object] = {"attempts": attempts, "last_error": str(exc)[:2000], "locked_until": None}
    if getattr(exc, "permanent", False) or delay is None:
        update["status"] = OutboxStatus.DEAD
    else:
        update["next_attempt_at"] = timezone.now() + timedelta(seconds=delay)
    OutboxMessage.objects.filter(pk=message.pk).update(**update)
    log.warning("outbox %s attempt %s failed: %s", message.pk, attempts, exc)


def sweep(limit: int = 500) -> int:
    """Dispatch due, undelivered rows; SKIP LOCKED lets several sweepers run at once."""
    from complaints.notifications.tasks import deliver_outbox_message

    now = timezone.now()
    with transaction.atomic():
        qs = OutboxMessage.objects.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now),
            status=OutboxStatus.PENDING,
            next_attempt_at__lte=now,
        ).order_by("next_attempt_at")
        ids = list(qs.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
    for pk in ids:
        deliver_outbox_message.delay(pk)
    return len(ids)


__all__ = ["OutboxChannel", "claim", "deliver", "sweep"]
