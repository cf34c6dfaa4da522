"""Delivering outbox rows: claim with compare-and-set, send, record, schedule the retry.

A row is taken by one ``UPDATE ... WHERE status='pending' AND next_attempt_at <= now
AND (unclaimed OR claim expired) AND (not reserved by the sweeper OR a sweeper's task)``
(``locked_until`` is a sender's claim, ``reserved_until`` the sweeper's); only the task whose
update touched the row sends it, so a task delivered twice by Redis, the on-commit
publish racing the sweeper, or two sweepers at once all end in one send. A row that
was delivered is never pending again, so a retry can't resend it.

A claim lasts ``OUTBOX_CLAIM_SECONDS``: if the worker dies mid-send, the row becomes
free when it runs out, and the sweeper hands it out again. That is the one case of a
second send (at-least-once), and receivers dedupe on the stable ``webhook-id``.

Webhook attempts go through ``circuit`` (the attempt is logged before the request; at
most ``WEBHOOK_MAX_IN_FLIGHT`` per subscription; a breaker per subscription): a
delivery it holds back is postponed on its row, not counted as an attempt, never lost.

Failures wait on the row, not in Celery: ``next_attempt_at`` is set from
``OUTBOX_RETRY_SCHEDULE`` with jitter (and never sooner than the receiver's
Retry-After), and the beat sweeper dispatches rows as they come due. After the last
attempt the row is dead-lettered, to be replayed with ``outbox_replay``.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, prefetch_related_objects
from django.utils import timezone

from complaints.metrics import DELIVERIES
from complaints.models import OutboxChannel, OutboxMessage, OutboxStatus
from complaints.notifications.channels import DeliveryFailed, send
from complaints.notifications.publish import publish

log = logging.getLogger(__name__)
# registry_deliveries_total's outcome for a failed attempt, by the row's new status.
_OUTCOMES: dict[str, str] = {OutboxStatus.DEAD: "dead", OutboxStatus.SKIPPED: "skipped"}
JITTER = 0.1  # a retry waits between 100% and 110% of its scheduled delay
MAX_BATCH = 100


def _claimable(now: datetime, lease: datetime | None = None) -> Q:
    """Not held by a sender; and not reserved for a sweeper's task, unless this is one (any ``lease``).

    Any sweeper's task may take a reserved row, not only the latest sweep's: when the
    queue is longer than a lease, the sweeper reserves a row again while an earlier
    sweep's task for it still waits in the queue; that task must still be able to send
    it (the claim itself keeps it to one send), or the row would never go out.
    """
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    if lease is None:
        free &= Q(reserved_until__isnull=True) | Q(reserved_until__lt=now)
    return free


def claim(message_id: int, *, lease: datetime | None = None) -> OutboxMessage | None:
    """Take the row for this worker if it is pending, due and not held by another."""
    now = timezone.now()
    token = now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    taken = OutboxMessage.objects.filter(
        _claimable(now, lease),
        pk=message_id,
        status=OutboxStatus.PENDING,
        next_attempt_at__lte=now,
    ).update(locked_until=token, reserved_until=None)
    if not taken:
        return None
    # The subscription's owner, key and complaint: the send checks the owner may still see it.
    return OutboxMessage.objects.select_related(
        "subscription__owner", "subscription__api_key", "complaint__reporter"
    ).get(pk=message_id)


def is_batched(message: OutboxMessage) -> bool:
    """New-complaint alerts to reviewers go out as one email per reviewer per window."""
    return message.channel == OutboxChannel.EMAIL and bool(message.payload.get("batch"))


def claim_batch(lead: OutboxMessage, lease: datetime | None = None) -> list[OutboxMessage]:
    """The lead row plus the same recipient's other pending batched rows, due or not.

    Rows the same sweep reserved (same ``lease``) are taken too: their own tasks then
    find them delivered.
    """
    now = timezone.now()
    siblings = (
        OutboxMessage.objects.filter(
            _claimable(now, lease),
            channel=OutboxChannel.EMAIL,
            event_type=lead.event_type,
            recipient=lead.recipient,
            status=OutboxStatus.PENDING,
            payload__batch=True,
        )
        .exclude(pk=lead.pk)
        .order_by("pk")
    )
    ids = list(siblings.values_list("pk", flat=True)[: MAX_BATCH - 1])
    if ids:
        OutboxMessage.objects.filter(_claimable(now, lease), pk__in=ids, status=OutboxStatus.PENDING).update(
            locked_until=lead.locked_until, reserved_until=None
        )
    taken = OutboxMessage.objects.filter(pk__in=ids, locked_until=lead.locked_until)
    return [lead, *taken.order_by("pk")]


def next_delay(attempts: int, schedule: list[int] | None = None) -> float | None:
    """Seconds to wait after ``attempts`` failed attempts, with jitter; None = give up."""
    schedule = settings.OUTBOX_RETRY_SCHEDULE if schedule is None else schedule
    if attempts >= len(schedule):
        return None
    base = float(schedule[attempts])
    return base + random.uniform(0, base * JITTER)  # noqa: S311 - jitter, not crypto


def deliver(message_id: int, *, lease: datetime | None = None) -> bool:
    """Send one due row (with its batch); True if this call delivered it."""
    message = claim(message_id, lease=lease)
    if message is None:
        return False
    rows = claim_batch(message, lease) if is_batched(message) else [message]
    if message.channel == OutboxChannel.EMAIL:
        # What an email says about each complaint, in one query per relation for the batch.
        prefetch_related_objects(rows, "complaint__category", "complaint__polling_station", "complaint__unit")
    try:
        send(rows)
    except Exception as exc:
        for row in rows:
            _failed(row, exc)
        return False
    delivered = OutboxMessage.objects.filter(pk__in=[r.pk for r in rows], status=OutboxStatus.PENDING).update(
        status=OutboxStatus.DELIVERED,
        delivered_at=timezone.now(),
        attempts=F("attempts") + 1,
        locked_until=None,
        last_error="",
    )
    DELIVERIES.labels(channel=message.channel, outcome="delivered").inc(delivered)
    return True


def _failed(message: OutboxMessage, exc: Exception) -> None:
    if isinstance(exc, DeliveryFailed) and exc.postpone_until is not None:
        _postponed(message, exc, exc.postpone_until)
        return
    attempts = message.attempts + 1
    update: dict[str, object] = {"attempts": attempts, "last_error": str(exc)[:2000], "locked_until": None}
    if isinstance(exc, DeliveryFailed) and exc.skip:
        update["status"] = OutboxStatus.SKIPPED
    elif isinstance(exc, DeliveryFailed) and (
        exc.permanent or (exc.max_attempts is not None and attempts >= exc.max_attempts)
    ):
        update["status"] = OutboxStatus.DEAD
    else:
        delay = next_delay(attempts)
        retry_after = exc.retry_after if isinstance(exc, DeliveryFailed) else None
        if delay is None:
            update["status"] = OutboxStatus.DEAD
        else:
            update["next_attempt_at"] = timezone.now() + timedelta(seconds=max(delay, retry_after or 0))
    # Only while this worker still holds the claim: never overwrite another's outcome.
    if OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.PENDING, locked_until=message.locked_until
    ).update(**update):
        DELIVERIES.labels(channel=message.channel, outcome=_OUTCOMES.get(str(update.get("status")), "failed")).inc()
    level = logging.WARNING if update.get("status") == OutboxStatus.DEAD else logging.INFO
    log.log(level, "outbox %s attempt %s failed: %s", message.pk, attempts, exc)


def _postponed(message: OutboxMessage, exc: Exception, until: datetime) -> None:
    """Nothing was sent (breaker open, receiver busy): wait on the row, no attempt counted."""
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING, locked_until=message.locked_until).update(
        next_attempt_at=until, locked_until=None, last_error=str(exc)[:2000]
    )
    log.debug("outbox %s postponed until %s: %s", message.pk, until.isoformat(), exc)


def _one_per_batch(ids: list[int]) -> list[int]:
    """Queue one task per batch (recipient): it takes the rest of its reserved batch.

    Two tasks for the same reviewer running at once would each send part of the batch.
    """
    batched = OutboxMessage.objects.filter(pk__in=ids, payload__batch=True).order_by("pk")
    seen: set[tuple[str, str]] = set()
    followers: set[int] = set()
    for pk, event_type, recipient in batched.values_list("pk", "event_type", "recipient"):
        if (event_type, recipient) in seen:
            followers.add(pk)
        seen.add((event_type, recipient))
    return [pk for pk in ids if pk not in followers]


def sweep(limit: int = 500) -> int:
    """Queue due, unclaimed rows; SKIP LOCKED lets several sweepers run at once.

    Each queued row is reserved for its task for ``OUTBOX_DISPATCH_LEASE_SECONDS`` so a
    backlog is not queued again on every sweep; the task carries the reservation.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OUTBOX_DISPATCH_LEASE_SECONDS)
    with transaction.atomic():
        due = (
            OutboxMessage.objects.filter(_claimable(now), status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
        )
        channels = dict(due.values_list("pk", "channel")[:limit])
        ids = list(channels)
        OutboxMessage.objects.filter(pk__in=ids).update(reserved_until=lease)
    ids = _one_per_batch(ids)
    for n, pk in enumerate(ids):
        try:
            publish(pk, lease.isoformat(), channels[pk])
        except Exception:
            # Broker gone mid-sweep: free the rest now rather than when the lease runs out.
            OutboxMessage.objects.filter(pk__in=ids[n:], reserved_until=lease).update(reserved_until=None)
            raise
    return len(ids)


__all__ = ["claim", "claim_batch", "deliver", "next_delay", "sweep"]
