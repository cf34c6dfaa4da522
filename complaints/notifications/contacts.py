"""What short-message channels (Telegram, SMS) say to a filer following a complaint, and the sealed direct replies.

A row written by the fan-out for a complainant event (``outbox._contact_rows``) is rendered
here at send time, in the address's language, as one short plain text: the receipt code,
what happened, the reviewers' question or message when the event carries one, and how to
answer. Never the description, never anyone's identity. A direct reply (``outbox_reply``:
the bot's conversation, the receipt with the follow-up secret) carries its text sealed on
the row, and ``reply_delivered`` wipes it once sent.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from complaints import crypto
from complaints.events import EventType
from complaints.models import OutboxChannel, OutboxMessage, Status

# Rows of inline buttons, each {"text": label, "data": what pressing it sends back}.
Buttons = list[list[dict[str, str]]]


def _status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def event_text(message: OutboxMessage) -> str:
    """The message for a complainant event, in the row's language."""
    payload: dict[str, Any] = message.payload
    code = payload.get("code", "")
    status = _status_label(payload.get("status", ""))
    question = payload.get("message", "")
    with translation.override(message.recipient_language or settings.LANGUAGE_CODE):
        lines = {
            EventType.NEEDS_INFO: _("Complaint %(code)s: the reviewers ask for more information:"),
            EventType.MESSAGE: _("Complaint %(code)s: a message from the reviewers:"),
            EventType.DECIDED: _("Complaint %(code)s: a decision was made: %(status)s."),
            EventType.ESCALATED: _("Complaint %(code)s was sent to the authority."),
            EventType.CASE_DECIDED: _("Complaint %(code)s: the authority has answered."),
            EventType.CASE_APPEALED: _("Complaint %(code)s: the authority's decision was appealed."),
        }
        head = lines.get(EventType(message.event_type), _("Complaint %(code)s: its status is now “%(status)s”."))
        parts = [head % {"code": code, "status": status}]
        if question:
            parts.append(question)
        if message.event_type == EventType.NEEDS_INFO and message.channel == OutboxChannel.SMS:
            parts.append(_("Reply to this SMS to answer."))
        elif message.event_type == EventType.NEEDS_INFO:
            parts.append(_("Reply to this message to answer: text, photos or videos."))
        return "\n\n".join(parts)


def message_content(message: OutboxMessage) -> tuple[str, Buttons]:
    """The text and buttons to send for a row: its sealed direct reply, or its event's text."""
    sealed = message.payload.get("sealed")
    if sealed is not None:
        if not sealed:
            return "", []  # already delivered and wiped (a resend after a crash): nothing left to say
        content = json.loads(crypto.decrypt(sealed))
        return content["text"], content.get("buttons", [])
    return event_text(message), []


def reply_delivered(message: OutboxMessage) -> None:
    """Wipe a direct reply's sealed text once it has been sent (it may hold the follow-up secret)."""
    if message.payload.get("sealed"):
        OutboxMessage.objects.filter(pk=message.pk).update(payload={"sealed": ""})
