"""Per webhook subscription: a concurrency cap and a circuit breaker, so one slow receiver holds up no other.

Every webhook attempt passes ``begin`` first, in a short transaction of its own that
locks the subscription row, so the checks and the log row are atomic across worker
processes (and committed before the request is sent, so a worker killed mid-send still
leaves its attempt in the log):

- **Breaker open**: after ``WEBHOOK_BREAKER_FAILURES`` failures in a row (timeouts,
  network errors, 408, 429, 5xx), the subscription's deliveries are not sent until
  ``circuit_open_until``: they wait on their row (``Wait``), pending, no attempt counted.
  The cool-down is ``WEBHOOK_BREAKER_COOLDOWN_SECONDS``, doubled each time a trial after
  it fails, up to ``WEBHOOK_BREAKER_MAX_COOLDOWN_SECONDS``. After the cool-down one trial
  at a time goes out (half-open); a success closes the breaker.
- **Busy**: at most ``WEBHOOK_MAX_IN_FLIGHT`` attempts of one subscription in flight
  (log rows still ``sending``); one more waits ``WEBHOOK_BUSY_RETRY_SECONDS`` plus
  jitter, or, for a receiver that is slow or failing, as long as a request may take.
- **Interrupted**: a ``sending`` row of this same message belongs to a worker that died
  (this task holds the message's claim now): it is marked ``interrupted`` and counted as
  an attempt. A ``sending`` row older than ``OUTBOX_CLAIM_SECONDS`` no longer counts as in
  flight.

State lives in the database (``WebhookSubscription.consecutive_failures``,
``circuit_open_until``, ``circuit_opens``; ``WebhookDelivery.state``), so it holds across
processes and restarts, on SQLite and PostgreSQL alike. It is operational state: it
does not move the subscription's ``updated_at``.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, FilteredRelation, Q
from django.utils import timezone

from complaints.models import OutboxMessage, WebhookDelivery, WebhookDeliveryState, WebhookSubscription

log = logging.getLogger(__name__)
INTERRUPTED_ERROR = "the worker stopped during this attempt"


class Disabled(Exception):
    """The subscription is disabled (or gone): nothing to deliver any more."""


class Wait(Exception):
    """Not now: try again at ``until``; not an attempt."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.until = until


def cooldown(opens: int) -> float:
    """Seconds the breaker stays open after its ``opens``-th opening in a row."""
    base = settings.WEBHOOK_BREAKER_COOLDOWN_SECONDS
    return float(min(base * 2 ** max(opens - 1, 0), settings.WEBHOOK_BREAKER_MAX_COOLDOWN_SECONDS))


def is_open(subscription: WebhookSubscription, now: datetime) -> bool:
    return subscription.circuit_open_until is not None and subscription.circuit_open_until > now


def is_half_open(subscription: WebhookSubscription, now: datetime) -> bool:
    """The cool-down is over but no success since: one trial at a time."""
    return subscription.circuit_open_until is not None and subscription.circuit_open_until <= now


def _jitter(seconds: float) -> float:
    return random.uniform(0, seconds)  # noqa: S311 - spreading retries, not crypto


def _recover_interrupted(message: OutboxMessage, rows: list[tuple[int, int, datetime]], now: datetime) -> None:
    """This message's attempts still ``sending`` were cut off: log them as such and count them."""
    own = [pk for pk, message_id, _ in rows if message_id == message.pk]
    if not own:
        return
    WebhookDelivery.objects.filter(pk__in=own).update(
        state=WebhookDeliveryState.INTERRUPTED, finished_at=now, error=INTERRUPTED_ERROR
    )
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=F("attempts") + len(own))
    message.attempts += len(own)
    log.warning("outbox %s: %d webhook attempt(s) were interrupted; trying again", message.pk, len(own))


def _lock_and_read(
    message: OutboxMessage, subscription_id: int
) -> tuple[WebhookSubscription | None, list[tuple[int, int, datetime]]]:
    """Lock the subscription row and read it with its attempts still ``sending``: one statement.

    Returns the message's subscription object refreshed with the locked values (None if
    it is gone) and (id, message id, start) of each attempt in flight.
    """
    rows = list(
        WebhookSubscription.objects.select_for_update(of=("self",))
        .filter(pk=subscription_id)
        .annotate(sending=FilteredRelation("deliveries", condition=Q(deliveries__state=WebhookDeliveryState.SENDING)))
        .values_list(
            "is_active",
            "consecutive_failures",
            "circuit_open_until",
            "circuit_opens",
            "sending__id",
            "sending__message_id",
            "sending__created_at",
        )
    )
    subscription = message.subscription
    if not rows or subscription is None:
        return None, []
    (
        subscription.is_active,
        subscription.consecutive_failures,
        subscription.circuit_open_until,
        subscription.circuit_opens,
    ) = rows[0][:4]
    return subscription, [(pk, message_id, created) for *_, pk, message_id, created in rows if pk is not None]


def begin(message: OutboxMessage) -> WebhookDelivery:
    """Record the attempt (committed) if it may go now; else raise ``Disabled`` or ``Wait``.

    Called by the task that holds the message's claim, outside any transaction: one
    statement locks the subscription and reads its attempts in flight (a partial index),
    one inserts the attempt, then the commit.
    """
    subscription_id = message.subscription_id
    if subscription_id is None:
        raise Disabled("the subscription is gone")
    now = timezone.now()
    attempt: WebhookDelivery | None = None
    with transaction.atomic():
        subscription, sending = _lock_and_read(message, subscription_id)
        _recover_interrupted(message, sending, now)
        # Attempts of a worker that died long ago (older than a claim) no longer hold a slot.
        stale = now - timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
        in_flight = [created for _, message_id, created in sending if message_id != message.pk and created > stale]
        refusal = _refusal(subscription, in_flight, now)
        if subscription is not None and refusal is None:
            attempt = WebhookDelivery.objects.create(
                subscription=subscription, message=message, attempt=message.attempts + 1
            )
    # Raised after the commit: what _recover_interrupted wrote stays.
    if attempt is None:
        raise refusal or Disabled("the subscription is gone")
    return attempt


def _refusal(subscription: WebhookSubscription | None, in_flight: list[datetime], now: datetime) -> Exception | None:
    """Why an attempt may not start now (``Disabled``, ``Wait``), or None; ``in_flight``: start times."""
    if subscription is None or not subscription.is_active:
        return Disabled("the subscription is disabled")
    if subscription.circuit_open_until is not None and is_open(subscription, now):
        wait = (subscription.circuit_open_until - now).total_seconds()
        spread = timedelta(seconds=_jitter(cooldown(subscription.circuit_opens) / 10))
        return Wait(
            f"circuit open after {subscription.consecutive_failures} failures in a row; "
            f"waiting {wait:.0f} s before trying this receiver again",
            subscription.circuit_open_until + spread,
        )
    limit = 1 if is_half_open(subscription, now) else settings.WEBHOOK_MAX_IN_FLIGHT
    if len(in_flight) < limit:
        return None
    return Wait(
        f"{len(in_flight)} attempt(s) to this receiver already in flight (limit {limit})",
        now + timedelta(seconds=busy_delay(subscription, min(in_flight), now)),
    )


def busy_delay(subscription: WebhookSubscription, oldest: datetime, now: datetime) -> float:
    """How long a delivery waits for a free slot, with jitter.

    A receiver that answers quickly frees a slot soon: ``WEBHOOK_BUSY_RETRY_SECONDS``. One
    that is failing, or whose oldest attempt in flight has already taken that long, frees
    it no sooner than a request can take (connect + read timeouts): waiting that long
    keeps its backlog from cycling through the worker pool every few seconds.
    """
    busy = float(settings.WEBHOOK_BUSY_RETRY_SECONDS)
    slow = subscription.consecutive_failures > 0 or (now - oldest).total_seconds() >= busy
    base = float(settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT) if slow else busy
    return max(base, busy) + _jitter(base / 2)


def finish(
    attempt: WebhookDelivery,
    *,
    status_code: int | None,
    latency_ms: int,
    error: str,
    delivered: bool,
    unhealthy: bool,
) -> None:
    """Record the outcome of an attempt and feed the breaker.

    ``unhealthy``: the failure says the receiver is slow, down or overloaded (timeouts,
    network errors, 408, 429, 5xx), as opposed to a configuration error (other 4xx).
    """
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=attempt.pk).update(
        state=WebhookDeliveryState.DELIVERED if delivered else WebhookDeliveryState.FAILED,
        status_code=status_code,
        latency_ms=latency_ms,
        error=error,
        finished_at=now,
    )
    subscription = attempt.subscription
    if delivered:
        if subscription.consecutive_failures or subscription.circuit_open_until or subscription.circuit_opens:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(
                consecutive_failures=0, circuit_open_until=None, circuit_opens=0
            )
    elif unhealthy:
        record_failure(subscription.pk, now)


def record_failure(subscription_id: int, now: datetime) -> None:
    """One more failure in a row; at the threshold the breaker opens (unless already open)."""
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None:
            return
        failures = subscription.consecutive_failures + 1
        changes: dict[str, object] = {"consecutive_failures": failures}
        if failures >= settings.WEBHOOK_BREAKER_FAILURES and not is_open(subscription, now):
            opens = subscription.circuit_opens + 1
            seconds = cooldown(opens)
            changes.update(circuit_opens=opens, circuit_open_until=now + timedelta(seconds=seconds))
            log.warning(
                "webhook subscription %s: %d failures in a row; its deliveries wait %.0f s (%s)",
                subscription_id,
                failures,
                seconds,
                subscription.url,
            )
        WebhookSubscription.objects.filter(pk=subscription_id).update(**changes)


__all__ = ["Disabled", "Wait", "begin", "cooldown", "finish", "record_failure"]
