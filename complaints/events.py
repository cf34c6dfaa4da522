"""The registry of event types: who hears of each (email audience and template), and whether webhooks carry it.

The workflow table, the services, the outbox fan-out, the email channel and the API's
webhook schema all read this one table; ``tests/test_events.py`` fails when an event
lacks an audience or a template, or when a bare event name appears anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class EventType(StrEnum):
    SUBMITTED = "complaint.submitted"
    ASSIGNED = "complaint.assigned"
    NEEDS_INFO = "complaint.needs_info"
    INFO_PROVIDED = "complaint.info_provided"
    MESSAGE = "complaint.message"
    DECIDED = "complaint.decided"
    ESCALATED = "complaint.escalated"
    SLA_BREACHED = "complaint.sla_breached"
    STATUS_CHANGED = "complaint.status_changed"
    DIGEST_DAILY = "digest.daily"
    CASE_SUBMITTED = "case.submitted"
    CASE_DECIDED = "case.decided"
    CASE_DEADLINE_APPROACHING = "case.deadline_approaching"
    CASE_DEADLINE_MISSED = "case.deadline_missed"
    CASE_APPEALED = "case.appealed"
    # A bot's answer in a filer's own chat (the filing conversation, the receipt): not about a change.
    CHANNEL_REPLY = "channel.reply"
    CASE_PUBLISHED = "case.published"
    CASE_UNPUBLISHED = "case.unpublished"


class Audience(StrEnum):
    COMPLAINANT = "complainant"  # only if they left an email and did not file anonymously
    ASSIGNEE = "assignee"
    REVIEWER = "reviewer"  # every reviewer whose scope covers the complaint, batched
    COORDINATOR = "coordinator"  # every coordinator whose scope covers the complaint


@dataclass(frozen=True)
class Event:
    type: EventType
    # audience -> email template folder under templates/complaints/email/
    emails: dict[Audience, str] = field(default_factory=dict)
    webhook: bool = True
    # The email to the complainant quotes free text (the question asked, the note sent).
    carries_message: bool = False
    why_no_email: str = ""  # an event nobody is emailed about says why


A = Audience
EVENTS: dict[EventType, Event] = {
    e.type: e
    for e in (
        Event(EventType.SUBMITTED, {A.COMPLAINANT: "receipt", A.REVIEWER: "new_complaints"}),
        Event(EventType.ASSIGNED, {A.ASSIGNEE: "assigned"}),
        Event(EventType.NEEDS_INFO, {A.COMPLAINANT: "needs_info"}, carries_message=True),
        Event(EventType.INFO_PROVIDED, {A.ASSIGNEE: "info_provided"}),
        Event(EventType.MESSAGE, {A.COMPLAINANT: "message"}, carries_message=True),
        Event(EventType.DECIDED, {A.COMPLAINANT: "decided"}),
        Event(EventType.ESCALATED, {A.COMPLAINANT: "escalated"}),
        Event(EventType.SLA_BREACHED, {A.COORDINATOR: "sla_breached"}),
        Event(EventType.STATUS_CHANGED, why_no_email="the specific event of the transition tells people"),
        Event(EventType.DIGEST_DAILY, {A.COORDINATOR: "digest"}, webhook=False),
        Event(
            EventType.CASE_SUBMITTED,
            why_no_email="a coordinator records it; the complainant hears of it by complaint.escalated",
        ),
        Event(EventType.CASE_DECIDED, {A.COMPLAINANT: "case_decided", A.COORDINATOR: "case_decided"}),
        Event(EventType.CASE_DEADLINE_APPROACHING, {A.COORDINATOR: "case_deadline_approaching"}),
        Event(EventType.CASE_DEADLINE_MISSED, {A.COORDINATOR: "case_deadline_missed"}),
        Event(EventType.CASE_APPEALED, {A.COMPLAINANT: "case_appealed", A.COORDINATOR: "case_appealed"}),
        Event(
            EventType.CHANNEL_REPLY,
            webhook=False,
            why_no_email="the bot's answer in the filer's own chat, sent on that chat's channel only",
        ),
        Event(EventType.CASE_PUBLISHED, why_no_email="the public case page and its Atom feed tell people"),
        Event(EventType.CASE_UNPUBLISHED, why_no_email="the coordinator who unpublished it says why in the audit log"),
    )
}

WEBHOOK_EVENT_TYPES: tuple[str, ...] = tuple(sorted(e.type.value for e in EVENTS.values() if e.webhook))
MESSAGE_EVENTS: frozenset[EventType] = frozenset(e.type for e in EVENTS.values() if e.carries_message)


def events_for(audience: Audience) -> frozenset[EventType]:
    """The events that email this audience."""
    return frozenset(e.type for e in EVENTS.values() if audience in e.emails)


def email_template(event_type: str, audience: str) -> str | None:
    """The template folder for this event and audience, or None if they are not emailed."""
    event = EVENTS.get(EventType(event_type)) if event_type in EventType._value2member_map_ else None
    return event.emails.get(Audience(audience)) if event and audience in Audience._value2member_map_ else None
