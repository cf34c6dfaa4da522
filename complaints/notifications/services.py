"""Operator actions on notifications: replay a dead-lettered row, rotate a webhook secret.

Called by the admin and the API; keyword-only, one transaction each.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import OutboxChannel, OutboxMessage, OutboxStatus, WebhookSubscription
from complaints.models.notifications import new_webhook_secret
from complaints.services import ServiceError


class ReplayRefused(ServiceError):
    """The row cannot be replayed; the message says why and what to do."""

    code = "replay_refused"


@transaction.atomic
def outbox_replay(*, message: OutboxMessage) -> OutboxMessage:
    """Send a dead-lettered (or skipped) row again, with a fresh retry schedule.

    It keeps its idempotency key (its ``webhook-id``), so a receiver that did get an
    earlier attempt can still dedupe it. The delivery log keeps the earlier attempts.
    """
    from complaints.notifications.outbox import dispatch

    row = OutboxMessage.objects.select_for_update(of=("self",)).select_related("subscription").get(pk=message.pk)
    if row.status == OutboxStatus.DELIVERED:
        raise ReplayRefused(_("This notification was already delivered; there is nothing to replay."))
    if row.status == OutboxStatus.PENDING:
        raise ReplayRefused(_("This notification is still being delivered; wait for it to succeed or fail."))
    if row.channel == OutboxChannel.WEBHOOK and (row.subscription is None or not row.subscription.is_active):
        raise ReplayRefused(_("The webhook subscription is disabled; re-enable it first, then replay."))
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = timezone.now()
    row.locked_until = None
    row.last_error = ""
    row.save(update_fields=["status", "attempts", "next_attempt_at", "locked_until", "last_error"])
    pk = row.pk
    transaction.on_commit(lambda: dispatch([pk]))
    return row


@transaction.atomic
def webhook_secret_rotate(*, subscription: WebhookSubscription) -> str:
    """Give the subscription a new secret and return it (shown once).

    For ``WEBHOOK_SECRET_OVERLAP_HOURS`` the old secret stays valid: every delivery is
    signed with both, so the receiver can switch to the new secret at its own pace.
    """
    sub = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    sub.previous_secret = sub.secret
    sub.previous_secret_expires_at = timezone.now() + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    sub.secret = new_webhook_secret()
    sub.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    subscription.secret = sub.secret
    subscription.previous_secret = sub.previous_secret
    subscription.previous_secret_expires_at = sub.previous_secret_expires_at
    return sub.secret
