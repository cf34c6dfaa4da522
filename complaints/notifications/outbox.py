"""The transactional outbox: notifications as rows written with the change that causes them.

``outbox_record`` is called by services inside their transaction. It decides who is told
(the fan-out) and writes one row per recipient and channel; after commit each row is
handed to a Celery task, and the beat sweeper re-dispatches anything still due, so a
failed publish or a dead worker loses nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from complaints.access import GROUP_COORDINATOR, GROUP_REVIEWER, roles_for, staff_in_scope
from complaints.models import (
    Complaint,
    OutboxChannel,
    OutboxMessage,
    WebhookSubscription,
)

# Events sent to the complainant (never to anonymous ones: nothing is pushed to them).
COMPLAINANT_EVENTS = {"complaint.submitted", "complaint.needs_info", "complaint.decided", "complaint.escalated"}


def webhook_payload(complaint: Complaint, event_type: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A thin payload: what happened and where to read more. No identity, no description."""
    api = f"{settings.SITE_URL}/api/v1/complaints/{complaint.code}/"
    return {
        "type": event_type,
        "timestamp": timezone.now().isoformat(),
        "data": {
            "code": complaint.code,
            "status": complaint.status,
            "election": complaint.election_id,
            "category": getattr(complaint.category, "code", None),
            "version": complaint.version,
            **(extra or {}),
            "links": {"self": api, "timeline": f"{api}timeline/"},
        },
    }


def _email_recipients(complaint: Complaint, event_type: str, context: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(audience, email, language) triples for an event."""
    if event_type in COMPLAINANT_EVENTS:
        reporter = getattr(complaint, "reporter", None)
        if reporter and not reporter.is_anonymous and reporter.email:
            yield "complainant", reporter.email, reporter.language
    if event_type == "complaint.assigned" and complaint.assignee and complaint.assignee.email:
        yield "assignee", complaint.assignee.email, _language_of(complaint.assignee)
    if event_type == "complaint.submitted":
        for user in staff_in_scope(complaint, GROUP_REVIEWER).exclude(email=""):
            yield "reviewer", user.email, _language_of(user)
    if event_type == "complaint.sla_breached":
        for user in staff_in_scope(complaint, GROUP_COORDINATOR).exclude(email=""):
            yield "coordinator", user.email, _language_of(user)


def _language_of(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, "language", None) or settings.LANGUAGE_CODE


def _subscriptions_for(complaint: Complaint, event_type: str) -> list[WebhookSubscription]:
    subs = WebhookSubscription.objects.filter(is_active=True).select_related("owner")
    return [s for s in subs if s.wants(event_type) and roles_for(s.owner, complaint)]


def outbox_record(
    *, complaint: Complaint, event_type: str, context: dict[str, Any] | None = None
) -> list[OutboxMessage]:
    """Write the outbox rows for one event, in the caller's transaction."""
    context = context or {}
    now = timezone.now()
    rows: list[OutboxMessage] = []
    for audience, email, language in _email_recipients(complaint, event_type, context):
        rows.append(
            OutboxMessage(
                event_type=event_type,
                complaint=complaint,
                channel=OutboxChannel.EMAIL,
                recipient=email,
                recipient_language=language,
                payload={"audience": audience, "code": complaint.code, "status": complaint.status, **context},
                idempotency_key=f"msg_{uuid.uuid4().hex}",
                next_attempt_at=now,
            )
        )
    for sub in _subscriptions_for(complaint, event_type):
        rows.append(
            OutboxMessage(
                event_type=event_type,
                complaint=complaint,
                channel=OutboxChannel.WEBHOOK,
                subscription=sub,
                payload=webhook_payload(complaint, event_type, context.get("webhook")),
                idempotency_key=f"msg_{uuid.uuid4().hex}",
                next_attempt_at=now,
            )
        )
    created = OutboxMessage.objects.bulk_create(rows)
    ids = [m.pk for m in created if m.pk]
    if ids:
        transaction.on_commit(lambda: dispatch(ids))
    return created


def dispatch(ids: list[int]) -> None:
    """Hand rows to Celery after commit. A failure here is fine: the sweeper picks them up."""
    from complaints.notifications.tasks import deliver_outbox_message

    for pk in ids:
        try:
            deliver_outbox_message.delay(pk)
        except Exception:  # noqa: BLE001 - broker down: the sweeper will deliver it
            import logging

            logging.getLogger(__name__).warning("outbox publish failed for %s; sweeper will retry", pk)
            return
