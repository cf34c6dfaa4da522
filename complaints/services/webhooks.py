"""Webhook subscriptions of API clients: subscribe, change, unsubscribe, rotate secrets, replay dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.errors import ReplayRefused
from complaints.models import OutboxChannel, OutboxMessage, OutboxStatus, WebhookSubscription
from complaints.models.notifications import new_webhook_secret
from complaints.notifications.netguard import check_webhook_url
from complaints.notifications.outbox import dispatch, subscription_may_see


@transaction.atomic
def webhook_subscribe(
    *, owner: Any, url: str, event_types: Sequence[str] = (), is_active: bool = True, api_key: Any = None
) -> Any:
    """Create a subscription after checking the URL is http(s) and public.

    ``api_key``: the key of the API client making it; only that key sees it afterwards.
    """
    check_webhook_url(url)
    return WebhookSubscription.objects.create(
        owner=owner, api_key=api_key, url=url, event_types=sorted(set(event_types)), is_active=is_active
    )


@transaction.atomic
def webhook_update(*, subscription: Any, changes: dict[str, Any]) -> Any:
    """Change url / event_types / is_active. Re-activating clears the reason it was disabled."""
    if "url" in changes and changes["url"] != subscription.url:
        check_webhook_url(changes["url"])
        subscription.url = changes["url"]
    if "event_types" in changes:
        subscription.event_types = sorted(set(changes["event_types"]))
    if "is_active" in changes:
        subscription.is_active = bool(changes["is_active"])
        if subscription.is_active:
            subscription.disabled_reason = ""
    subscription.save()
    return subscription


@transaction.atomic
def webhook_unsubscribe(*, subscription: Any) -> None:
    subscription.delete()


@transaction.atomic
def outbox_replay(*, message: OutboxMessage) -> OutboxMessage:
    """Send a dead-lettered (or skipped) row again, with a fresh retry schedule.

    It keeps its idempotency key (its ``webhook-id``), so a receiver that did get an
    earlier attempt can still dedupe it. The delivery log keeps the earlier attempts.
    """
    row = (
        OutboxMessage.objects.select_for_update(of=("self",))
        .select_related("subscription__owner", "subscription__api_key", "complaint__reporter")
        .get(pk=message.pk)
    )
    if row.status == OutboxStatus.DELIVERED:
        raise ReplayRefused(_("This notification was already delivered; there is nothing to replay."))
    if row.status == OutboxStatus.PENDING:
        raise ReplayRefused(_("This notification is still being delivered; wait for it to succeed or fail."))
    if row.channel == OutboxChannel.WEBHOOK and (row.subscription is None or not row.subscription.is_active):
        raise ReplayRefused(_("The webhook subscription is disabled; re-enable it first, then replay."))
    # The owner's sight of the complaint (and the key) is checked again: it may have been lost.
    subscription = row.subscription
    if row.channel == OutboxChannel.WEBHOOK and subscription and subscription_may_see(subscription, row.complaint):
        raise ReplayRefused(
            _(
                "The subscription's owner may no longer see this complaint (or its API key was revoked); "
                "it is not sent again."
            )
        )
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
