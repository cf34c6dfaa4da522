"""The sender of the sms outbox channel: a Twilio-compatible Messages API.

``POST SMS_SEND_URL`` (e.g. ``https://api.twilio.com/2010-04-01/Accounts/<sid>/Messages.json``,
or a local gateway speaking the same form) with basic auth (``SMS_SEND_ACCOUNT``,
``SMS_SEND_TOKEN``), form fields ``To``, ``Body`` and ``From`` (or ``MessagingServiceSid``
for an ``MG...`` sender). The text is the row's event text or its sealed direct reply
(``contacts.message_content``), without buttons; the gateway splits a long text into parts.

How answers are treated:

- 2xx: delivered; a sealed direct reply is wiped from its row.
- 400 with Twilio's code for a number that cannot receive (21211 invalid, 21610 unsubscribed
  by STOP, 21612/21614 not reachable or not a mobile): the contact address is disabled and
  the row dead-lettered.
- 429, 408, 5xx, network errors and timeouts: retried on the outbox schedule.
- any other 4xx (a wrong account or token, say): retried ``OUTBOX_CLIENT_ERROR_ATTEMPTS``
  times in all, then dead-lettered.

The URL is the operator's own configuration, not a subscriber's, so it may be private (a
gateway on the local network). Phone numbers and texts are never logged nor kept in the
row's error: only the status and Twilio's error code.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3
from django.conf import settings

from complaints.models import ContactAddress, OutboxMessage
from complaints.notifications import contacts
from complaints.notifications.failures import DeliveryFailed

# Twilio's error codes for a number that will not take messages from us.
UNREACHABLE_CODES = frozenset({21211, 21610, 21612, 21614})

_pool = urllib3.PoolManager(num_pools=2, maxsize=2, retries=False)


class NotConfigured(Exception):
    """SMS_SEND_URL is not set."""


def configured() -> bool:
    return bool(settings.SMS_SEND_URL)


def post_message(to: str, body: str) -> tuple[int, dict[str, Any]]:
    """One message through the gateway: its HTTP status and JSON answer (empty if it is not JSON)."""
    if not configured():
        raise NotConfigured("SMS_SEND_URL is not set")
    sender = settings.SMS_SEND_FROM
    fields = {"To": to, "Body": body}
    if sender.startswith("MG"):
        fields["MessagingServiceSid"] = sender
    elif sender:
        fields["From"] = sender
    headers = urllib3.make_headers(basic_auth=f"{settings.SMS_SEND_ACCOUNT}:{settings.SMS_SEND_TOKEN}")
    headers["User-Agent"] = "registry-sms/1"
    timeout = float(settings.SMS_SEND_TIMEOUT_SECONDS)
    response = _pool.request(
        "POST",
        settings.SMS_SEND_URL,
        fields=fields,
        headers=headers,
        encode_multipart=False,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        redirect=False,
    )
    try:
        answer = json.loads(response.data or b"{}")
    except ValueError:
        answer = {}
    return response.status, answer if isinstance(answer, dict) else {}


def _disable(contact: ContactAddress, reason: str) -> None:
    ContactAddress.objects.filter(pk=contact.pk).update(is_active=False, disabled_reason=reason[:200])


def send_sms(message: OutboxMessage) -> None:
    contact = message.contact
    if contact is None or not contact.is_active:
        raise DeliveryFailed("the contact address is disabled", skip=True)
    text, _buttons = contacts.message_content(message)
    if not text:
        raise DeliveryFailed("already sent (the sealed text was wiped)", skip=True)
    try:
        status, answer = post_message(contact.address, text)
    except NotConfigured as exc:
        raise DeliveryFailed(str(exc)) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        # The exception's type only: urllib3's messages quote the URL (an account id in its path).
        raise DeliveryFailed(f"{type(exc).__name__}") from None
    if 200 <= status < 300:
        contacts.reply_delivered(message)
        return
    code = answer.get("code")
    error = f"HTTP {status}" + (f", gateway error {code}" if isinstance(code, int) else "")
    if status == 400 and code in UNREACHABLE_CODES:
        _disable(contact, f"the gateway cannot reach the number (error {code})")
        raise DeliveryFailed(error, permanent=True)
    if status in {408, 429} or status >= 500:
        raise DeliveryFailed(error)
    raise DeliveryFailed(error, max_attempts=settings.OUTBOX_CLIENT_ERROR_ATTEMPTS)
