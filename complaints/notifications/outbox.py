"""The transactional outbox: notifications as rows written with the change that causes them.

``outbox_record`` is called by services inside their transaction. It decides who is told
(the fan-out) and writes one row per recipient and channel; after commit each due row is
handed to a Celery task, and the beat sweeper dispatches anything still due, so a failed
publish, a dead worker or a Redis restart loses nothing.

Who is told what:

========================  ==================================================  =========
event                     email to                                            webhooks
========================  ==================================================  =========
complaint.submitted       complainant (receipt); reviewers in scope, batched  yes
complaint.assigned        the assignee                                        yes
complaint.needs_info      complainant (with the question)                     yes
complaint.info_provided   the assignee                                        yes
complaint.message         complainant (a note addressed to them)              yes
complaint.decided         complainant                                         yes
complaint.escalated       complainant                                         yes
complaint.sla_breached    coordinators in scope                               yes
complaint.status_changed  nobody (the specific event above tells them)        yes
digest.daily              coordinators (``coordinator_digest_record``)        no
========================  ==================================================  =========

The complainant is told by email only if they left an email and did not file anonymously.
Whoever filed (anonymously or not) may also follow the complaint at a contact address (a
Telegram chat, a phone for SMS, an email kept only for updates: ``ComplaintContact``): each
change that tells the complainant, or moves the status by someone else's hand, writes one
row per followed address on that address's channel (``_contact_rows``); the address stays
sealed on its own row, never in ``recipient``.
Staff emails carry the receipt code, category, place, status and a link, never the
reporter's name, contact or story; webhooks go only to subscriptions whose owner may
see the complaint, with a thin payload.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from complaints import crypto, workflow
from complaints.access import (
    GROUP_COORDINATOR,
    GROUP_REVIEWER,
    preload_access,
    roles_for,
    staff_in_scope,
    visible_complaints,
)
from complaints.events import MESSAGE_EVENTS, Audience, EventType, events_for
from complaints.models import (
    Complaint,
    ComplaintContact,
    ContactAddress,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    WebhookSubscription,
)
from complaints.notifications.publish import publish

log = logging.getLogger(__name__)

COMPLAINANT_EVENTS = events_for(Audience.COMPLAINANT)
ASSIGNEE_EVENTS = events_for(Audience.ASSIGNEE)
REVIEWER_EVENTS = events_for(Audience.REVIEWER)
COORDINATOR_EVENTS = events_for(Audience.COORDINATOR) - {EventType.DIGEST_DAILY}  # the digest has its own recipients
DIGEST_EVENT = EventType.DIGEST_DAILY
# What a filer following at a contact address hears of: what the complainant is emailed
# (but the receipt, which the channel that filed it gave), and plain status changes.
CONTACT_EVENTS = (COMPLAINANT_EVENTS - {EventType.SUBMITTED}) | {EventType.STATUS_CHANGED}
# The complainant's own actions (answering, withdrawing): they are not told what they just did.
COMPLAINANT_ACTIONS = frozenset(t.action for t in workflow.TRANSITIONS if t.roles == workflow.COMPLAINANT)


@dataclass(frozen=True)
class Recipient:
    audience: str  # complainant, assignee, reviewer, coordinator
    email: str
    language: str


def _language_of(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, "language", None) or settings.LANGUAGE_CODE


def _complainant(complaint: Complaint) -> Recipient | None:
    reporter = getattr(complaint, "reporter", None)
    if reporter is None or reporter.is_anonymous:
        return None
    email = reporter.email or getattr(reporter.user, "email", "")
    return Recipient("complainant", email, reporter.language) if email else None


def email_recipients(complaint: Complaint, event_type: str) -> Iterator[Recipient]:
    """Who gets an email about this event; anonymous complainants never do."""
    if event_type in COMPLAINANT_EVENTS and (complainant := _complainant(complaint)):
        yield complainant
    assignee = complaint.assignee
    if event_type in ASSIGNEE_EVENTS and assignee is not None and assignee.email and assignee.is_active:
        yield Recipient("assignee", assignee.email, _language_of(assignee))
    for audience, group, wanted in (
        (Audience.REVIEWER, GROUP_REVIEWER, REVIEWER_EVENTS),
        (Audience.COORDINATOR, GROUP_COORDINATOR, COORDINATOR_EVENTS),
    ):
        if event_type in wanted:
            for user in staff_in_scope(complaint, group).exclude(email="").select_related("profile"):
                yield Recipient(audience, user.email, _language_of(user))


def _usable_key() -> Q:
    """The subscription's API key (if it has one) is neither revoked nor expired."""
    now = timezone.now()
    return Q(api_key__isnull=True) | (
        Q(api_key__revoked=False) & (Q(api_key__expiry_date__isnull=True) | Q(api_key__expiry_date__gt=now))
    )


def _subscriptions_seeing(complaint: Complaint) -> list[WebhookSubscription]:
    """Active subscriptions whose owner may see the complaint: two queries, however many there are."""
    subs = list(
        WebhookSubscription.objects.filter(_usable_key(), is_active=True, owner__is_active=True).select_related("owner")
    )
    preload_access(s.owner for s in subs)
    return [s for s in subs if roles_for(s.owner, complaint)]


def subscription_may_see(subscription: WebhookSubscription, complaint: Complaint | None) -> str:
    """Why ``subscription`` may no longer be told about ``complaint`` ("" if it may).

    Checked again when a row is sent and when a dead letter is replayed: the owner may
    have lost the complaint from their scope, been deactivated, or had the key revoked
    since the row was written.
    """
    owner = subscription.owner
    if not owner.is_active:
        return "the subscription's owner is deactivated"
    key = subscription.api_key if subscription.api_key_id else None
    if key is not None and (key.revoked or key.has_expired):
        return "the subscription's API key is revoked or expired"
    if complaint is not None and not roles_for(owner, complaint):
        return "the subscription's owner may no longer see this complaint"
    return ""


def webhook_payload(complaint: Complaint, event_type: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """A thin payload: what happened and where to read more. No identity, no description."""
    context = context or {}
    api = f"{settings.SITE_URL}/api/v1/complaints/{complaint.code}/"
    data: dict[str, Any] = {
        "code": complaint.code,
        "status": complaint.status,
        "version": complaint.version,
        "election": complaint.election_id,
        "category": getattr(complaint.category, "code", None),
    }
    if context.get("action"):
        data.update(action=context["action"], previous_status=context.get("from"))
    if context.get("case"):  # the case at the authority: body, deadline, result (never identity)
        data["case"] = context["case"]
    data["links"] = {"self": api, "timeline": f"{api}timeline/"}
    return {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}


def _email_payload(complaint: Complaint, event_type: str, audience: str, context: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"audience": audience, "code": complaint.code, "status": complaint.status}
    if audience == "complainant" and event_type in MESSAGE_EVENTS and context.get("message"):
        payload["message"] = context["message"]
    if context.get("case"):
        payload["case"] = context["case"]
    if audience == "reviewer":
        payload["batch"] = True
    return payload


def _new_key() -> str:
    return f"msg_{uuid.uuid4().hex}"


def outbox_record(
    *, complaint: Complaint, event_type: str, context: dict[str, Any] | None = None
) -> list[OutboxMessage]:
    """Write the outbox rows for one event, in the caller's transaction."""
    return outbox_record_events(complaint=complaint, event_types=[event_type], context=context)


def outbox_record_events(
    *, complaint: Complaint, event_types: Sequence[str], context: dict[str, Any] | None = None
) -> list[OutboxMessage]:
    """Write the outbox rows for all events of one change, in the caller's transaction.

    Subscriptions and their owners' access are read once for the change, not per event.
    """
    context = context or {}
    now = timezone.now()
    subscriptions = _subscriptions_seeing(complaint)
    rows: list[OutboxMessage] = []
    rows += _contact_rows(complaint, event_types, context, now)
    for event_type in event_types:
        rows += _email_rows(complaint, event_type, context, now)
        rows += [
            OutboxMessage(
                event_type=event_type,
                complaint=complaint,
                channel=OutboxChannel.WEBHOOK,
                subscription=sub,
                payload=webhook_payload(complaint, event_type, context),
                idempotency_key=_new_key(),
                next_attempt_at=now,
            )
            for sub in subscriptions
            if sub.wants(event_type)
        ]
    return _save_and_dispatch(rows, now)


def _email_rows(complaint: Complaint, event_type: str, context: dict[str, Any], now: datetime) -> list[OutboxMessage]:
    batch_due = now + timedelta(seconds=settings.OUTBOX_BATCH_SECONDS)
    rows: list[OutboxMessage] = []
    for r in email_recipients(complaint, event_type):
        payload = _email_payload(complaint, event_type, r.audience, context)
        rows.append(
            OutboxMessage(
                event_type=event_type,
                complaint=complaint,
                channel=OutboxChannel.EMAIL,
                recipient=r.email,
                recipient_language=r.language,
                payload=payload,
                idempotency_key=_new_key(),
                next_attempt_at=batch_due if payload.get("batch") else now,
            )
        )
    return rows


def contact_events(event_types: Sequence[str], context: dict[str, Any]) -> list[str]:
    """The events of one change a following filer hears of: the specific ones, else the status change."""
    if context.get("action") in COMPLAINANT_ACTIONS:
        return []
    wanted = [e for e in event_types if e in CONTACT_EVENTS]
    specific = [e for e in wanted if e != EventType.STATUS_CHANGED]
    return specific or wanted


def _contact_rows(
    complaint: Complaint, event_types: Sequence[str], context: dict[str, Any], now: datetime
) -> list[OutboxMessage]:
    """One row per active contact address following the complaint, per event it hears of."""
    events = contact_events(event_types, context)
    if not events:
        return []
    follows = ComplaintContact.objects.filter(complaint=complaint, contact__is_active=True).select_related("contact")
    rows = []
    for follow in follows:
        contact = follow.contact
        for event_type in events:
            payload: dict[str, Any] = {"audience": "complainant", "code": complaint.code, "status": complaint.status}
            if event_type in MESSAGE_EVENTS and context.get("message"):
                payload["message"] = context["message"]
            rows.append(
                OutboxMessage(
                    event_type=event_type,
                    complaint=complaint,
                    channel=contact.kind,
                    contact=contact,
                    recipient_language=contact.language,
                    payload=payload,
                    idempotency_key=_new_key(),
                    next_attempt_at=now,
                )
            )
    return rows


def _save_and_dispatch(rows: list[OutboxMessage], now: datetime) -> list[OutboxMessage]:
    created = OutboxMessage.objects.bulk_create(rows)
    # Rows due later (batched alerts) are left to the sweeper.
    due = {m.pk: m.channel for m in created if m.pk and m.next_attempt_at <= now}
    if due:
        transaction.on_commit(lambda: dispatch(due))
    return created


# While the broker is unreachable, requests stop trying to publish for a while: the
# rows are safe in the database and the sweeper delivers them once it is back.
PUBLISH_PAUSE_SECONDS = 5.0
_publish_paused_until = 0.0


def dispatch(ids: Sequence[int] | Mapping[int, str]) -> int:
    """Hand committed rows to Celery, each on its channel's queue. Never raises: a row not published here is swept.

    ``ids``: row ids, or (cheaper) a mapping of row id to channel; for plain ids the
    channels are read in one query.
    """
    global _publish_paused_until
    if time.monotonic() < _publish_paused_until:
        return 0
    if isinstance(ids, Mapping):
        channels = dict(ids)
    else:
        known = dict(OutboxMessage.objects.filter(pk__in=ids).values_list("pk", "channel"))
        channels = {pk: known.get(pk, OutboxChannel.WEBHOOK) for pk in ids}
    sent = 0
    for pk, channel in channels.items():
        try:
            publish(pk, None, channel)
        except Exception as exc:
            _publish_paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
            log.warning("outbox publish failed (%s); %d row(s) left to the sweeper", exc, len(channels) - sent)
            break
        sent += 1
    return sent


# --- a bot's answers in a filer's own chat ----------------------------------------


def outbox_reply(
    *, contact: ContactAddress, text: str, buttons: list[list[dict[str, str]]] | None = None
) -> OutboxMessage:
    """One message to a contact address (the filing conversation, the receipt), in the caller's transaction.

    The text is sealed on the row (it may carry the follow-up secret, shown once) and
    wiped once delivered; ``buttons`` are rows of ``{"text", "data"}`` (inline buttons).
    """
    sealed = crypto.encrypt(json.dumps({"text": text, "buttons": buttons or []}, ensure_ascii=False))
    now = timezone.now()
    row = OutboxMessage(
        event_type=EventType.CHANNEL_REPLY,
        channel=contact.kind,
        contact=contact,
        recipient_language=contact.language,
        payload={"sealed": sealed},
        idempotency_key=_new_key(),
        next_attempt_at=now,
    )
    return _save_and_dispatch([row], now)[0]


# --- the coordinators' daily digest -------------------------------------------


def _digest_payload(user: Any, now: datetime) -> dict[str, Any]:
    """Counts over the coordinator's scope; codes only, never identities."""
    qs = visible_complaints(user)
    counts = {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("id"))}
    overdue = qs.filter(
        Q(sla_breached_at__isnull=False) | Q(due_at__lt=now, sla_paused_at__isnull=True),
        status__in=list(workflow.SLA_STATES),
    ).order_by("due_at")
    return {
        "audience": "coordinator",
        "date": timezone.localdate(now).isoformat(),
        "counts": counts,
        "open": sum(n for s, n in counts.items() if s in workflow.OPEN_STATES),
        "new_24h": qs.filter(created_at__gte=now - timedelta(days=1)).count(),
        "overdue": overdue.count(),
        "overdue_codes": list(overdue.values_list("code", flat=True)[:20]),
    }


@transaction.atomic
def coordinator_digest_record(*, now: datetime | None = None) -> int:
    """One digest email per active coordinator per day; safe to run twice."""
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    coordinators = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=GROUP_COORDINATOR)
        .exclude(email="")
        .select_related("profile")
        .distinct()
    )
    rows = [
        OutboxMessage(
            event_type=DIGEST_EVENT,
            channel=OutboxChannel.EMAIL,
            recipient=user.email,
            recipient_language=_language_of(user),
            payload=_digest_payload(user, now),
            idempotency_key=f"digest_{day}_{user.pk}",
            next_attempt_at=now,
        )
        for user in coordinators
    ]
    keys = [r.idempotency_key for r in rows]
    existing = set(OutboxMessage.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    fresh = [r for r in rows if r.idempotency_key not in existing]
    OutboxMessage.objects.bulk_create(fresh, ignore_conflicts=True)
    ids = list(
        OutboxMessage.objects.filter(
            idempotency_key__in=[r.idempotency_key for r in fresh], status=OutboxStatus.PENDING
        ).values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: dispatch(dict.fromkeys(ids, OutboxChannel.EMAIL)))
    return len(ids)
