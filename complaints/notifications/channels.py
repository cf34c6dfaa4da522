"""Sending outbox rows over their channel: email, or a signed webhook.

Email is rendered per event and audience from ``templates/complaints/email/<name>/``
(``subject.txt``, ``body.txt``, ``body.html``) in the recipient's language. Staff emails
carry the receipt code, category, place, status and a link, never who filed it.

Webhooks follow the Standard Webhooks spec: ``webhook-id`` (the row's idempotency key,
the same on every retry), ``webhook-timestamp`` and ``webhook-signature`` (``v1``,
HMAC-SHA256 with the ``whsec_`` secret; during a secret rotation both the new and the
previous signature are sent). How answers are treated:

- 2xx: delivered.
- 410 Gone: the subscription is disabled (``updated_at`` moves) and the row dead-lettered.
- 429, 408, 5xx, network errors and timeouts (``WEBHOOK_CONNECT_TIMEOUT``,
  ``WEBHOOK_READ_TIMEOUT``): retried on the backoff schedule, no sooner than the
  receiver's ``Retry-After``; they also feed the subscription's circuit breaker.
- any other 4xx, and 3xx (redirects are never followed): a receiver configuration
  error; retried ``OUTBOX_CLIENT_ERROR_ATTEMPTS`` times in all, then dead-lettered.
- a URL that now resolves to a private address: dead-lettered at once.

Each attempt is written to the delivery log, and committed, before the request goes
out, then completed with its outcome (``circuit.begin``/``circuit.finish``, which also
cap the attempts in flight per subscription and keep its breaker).

Email failures are retried on the schedule, except a recipient the mail server refuses
permanently (5xx for every recipient), which is dead-lettered at once.
"""

from __future__ import annotations

import email.policy
import json
import smtplib
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import urllib3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from complaints.events import email_template
from complaints.models import (
    Complaint,
    OutboxChannel,
    OutboxMessage,
    Status,
    WebhookDelivery,
    WebhookSubscription,
    localized,
)
from complaints.notifications import circuit, netguard, sms, telegram
from complaints.notifications.failures import DeliveryFailed as DeliveryFailed  # its old home
from complaints.notifications.outbox import subscription_may_see

# Where links in emails point (the web UI's routes). Staff open the complaint; the
# complainant the status page, where code and secret go in a form, never in a URL.
STAFF_COMPLAINT_PATH = "/complaints/{code}/"
COMPLAINANT_STATUS_PATH = "/status/"
STAFF_QUEUE_PATH = "/queue/"
# A signed-in filer's own complaints: the page they can open (their complaint's page is a
# handle made per session, so the link is the list it is reached from).
COMPLAINANT_ACCOUNT_PATH = "/my/"
# An email kept only for updates (a ``ContactAddress``) also hears of plain status changes,
# which no email to a complainant covers otherwise.
CONTACT_STATUS_TEMPLATE = "status_changed"
MAX_RETRY_AFTER_SECONDS = 24 * 3600


def send(messages: list[OutboxMessage]) -> None:
    """Send one row, or for a batched email several rows to one recipient as one email."""
    channel = messages[0].channel
    if channel == OutboxChannel.EMAIL:
        send_email(messages)
    elif channel == OutboxChannel.TELEGRAM:
        telegram.send_telegram(messages[0])
    elif channel == OutboxChannel.SMS:
        sms.send_sms(messages[0])
    elif channel == OutboxChannel.WEBHOOK:
        send_webhook(messages[0])
    else:
        raise DeliveryFailed(f"no sender for the {channel} channel yet", permanent=True)


# --- email --------------------------------------------------------------------


def _place(complaint: Complaint, language: str) -> str:
    parts = []
    if complaint.polling_station is not None:
        parts.append(_("polling station №%(number)s") % {"number": complaint.polling_station.number})
    if complaint.unit is not None:
        parts.append(localized(complaint.unit, "name", language))
    if not parts and complaint.place_text:
        parts.append(complaint.place_text[:120])
    return ", ".join(parts)


def email_item(message: OutboxMessage, language: str) -> dict[str, Any]:
    """What an email says about one complaint: never the reporter's identity or story."""
    payload = message.payload
    code = payload.get("code", "")
    status = payload.get("status", "")
    item: dict[str, Any] = {
        "code": code,
        "status": Status(status).label if status in Status.values else status,
        "category": "",
        "place": "",
    }
    complaint = message.complaint
    if complaint is not None:
        item["category"] = localized(complaint.category, "name", language)
        item["place"] = _place(complaint, language)
        item["due_at"] = complaint.due_at
    path = STAFF_COMPLAINT_PATH
    if payload.get("audience") == "complainant":
        item["follow"] = complainant_follow(message)
        path = COMPLAINANT_ACCOUNT_PATH if item["follow"] == "account" else COMPLAINANT_STATUS_PATH
    item["link"] = settings.SITE_URL + path.format(code=code)
    return item


def complainant_follow(message: OutboxMessage) -> str:
    """How the complainant opens the complaint: ``account`` (signed in) or ``receipt`` (code and secret).

    A complaint filed from an account opens under "My complaints"; anyone else (and an
    address kept only for updates, which says nothing of who filed) has the receipt.
    """
    reporter = getattr(message.complaint, "reporter", None) if message.contact_id is None else None
    if reporter is not None and reporter.user_id is not None and not reporter.is_anonymous:
        return "account"
    return "receipt"


def _digest_context(payload: dict[str, Any]) -> dict[str, Any]:
    counts: dict[str, int] = payload.get("counts", {})
    return {
        "status_rows": [(s.label, counts[s.value]) for s in Status if counts.get(s.value)],
        "overdue_items": [
            {"code": code, "link": settings.SITE_URL + STAFF_COMPLAINT_PATH.format(code=code)}
            for code in payload.get("overdue_codes", [])
        ],
        "queue_link": settings.SITE_URL + STAFF_QUEUE_PATH,
    }


def render_email(messages: list[OutboxMessage]) -> tuple[str, str, str]:
    """Subject, text and HTML for one email, in the recipient's language."""
    lead = messages[0]
    audience = lead.payload.get("audience", "")
    name = email_template(lead.event_type, audience)
    if name is None and lead.contact_id is not None and audience == "complainant":
        name = CONTACT_STATUS_TEMPLATE
    if name is None:
        raise DeliveryFailed(f"no email template for {lead.event_type} to {audience}", permanent=True)
    language = lead.recipient_language or settings.LANGUAGE_CODE
    with translation.override(language):
        items = [email_item(m, language) for m in messages]
        context: dict[str, Any] = {
            "m": lead.payload,
            "item": items[0],
            "items": items,
            "count": len(items),
            "event": lead.event_type,
            "site_url": settings.SITE_URL,
            "language": language,
        }
        if name == "digest":
            context.update(_digest_context(lead.payload))
        subject = render_to_string(f"complaints/email/{name}/subject.txt", context)
        text = render_to_string(f"complaints/email/{name}/body.txt", context)
        html = render_to_string(f"complaints/email/{name}/body.html", context)
    return " ".join(subject.split()), text, html


class RegistryMail(EmailMultiAlternatives):
    """An email whose headers are folded by the standard library's modern policy.

    Django 5.2 builds messages with the legacy ``compat32`` policy, which puts a long non-ASCII
    Subject on a folded continuation line (``Subject:`` then `` =?utf-8?b?...``): a modern
    parser reads that as a leading space. The default policy starts the first encoded word on
    the header's own line.
    """

    def message(self, *args: Any, **kwargs: Any) -> Any:
        msg = super().message(*args, **kwargs)
        msg.policy = email.policy.default
        return msg


def email_recipient(message: OutboxMessage) -> str:
    """The row's address, or the sealed contact address it follows at (decrypted only now)."""
    if message.contact_id is None:
        return message.recipient
    contact = message.contact
    if contact is None or not contact.is_active:
        raise DeliveryFailed("the contact address is disabled", skip=True)
    return contact.address


def send_email(messages: list[OutboxMessage]) -> None:
    lead = messages[0]
    recipient = email_recipient(lead)
    subject, text, html = render_email(messages)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "registry.local"
    mail = RegistryMail(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [recipient],
        headers={
            # Stable across retries, so a mail system that sees a resend can drop it.
            "Message-ID": f"<{lead.idempotency_key}@{domain}>",
            "Content-Language": lead.recipient_language,
            "Auto-Submitted": "auto-generated",
        },
    )
    mail.attach_alternative(html, "text/html")
    try:
        mail.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            # The mailbox does not exist or refuses us for good: retrying for days won't help.
            raise DeliveryFailed(f"recipient refused by the mail server: {exc.recipients}", permanent=True) from exc
        raise


# --- webhooks -----------------------------------------------------------------


def signature_headers(
    subscription: WebhookSubscription, msg_id: str, body: str, now: datetime | None = None
) -> dict[str, str]:
    """Standard Webhooks headers; both signatures while a rotated-out secret overlaps."""
    now = now or datetime.now(tz=UTC)
    signatures = [Webhook(subscription.secret).sign(msg_id, now, body)]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > now:
        signatures.append(Webhook(subscription.previous_secret).sign(msg_id, now, body))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": "registry-webhooks/1",
    }


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(tz=UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def classify(status: int, headers: dict[str, str]) -> DeliveryFailed | None:
    """None when delivered; otherwise how the failure is to be treated."""
    if 200 <= status < 300:
        return None
    if status == 410:
        return DeliveryFailed(_("The receiver answered 410 Gone; the subscription was disabled."), permanent=True)
    if status in {408, 429} or status >= 500:
        return DeliveryFailed(f"HTTP {status}", retry_after=parse_retry_after(headers.get("retry-after")))
    return DeliveryFailed(f"HTTP {status}", max_attempts=settings.OUTBOX_CLIENT_ERROR_ATTEMPTS)


def webhook_timeout() -> urllib3.Timeout:
    """Short, so a slow receiver holds a worker process for seconds, not minutes."""
    return urllib3.Timeout(connect=settings.WEBHOOK_CONNECT_TIMEOUT, read=settings.WEBHOOK_READ_TIMEOUT)


def _post(subscription: WebhookSubscription, message: OutboxMessage, body: str) -> tuple[int | None, Any, str]:
    """(status, response or failure, error text) of one POST."""
    try:
        target = netguard.resolve(subscription.url)
        response = netguard.post(
            target,
            body.encode(),
            signature_headers(subscription, message.idempotency_key, body),
            webhook_timeout(),
        )
    except netguard.UnsafeURL as exc:
        return None, DeliveryFailed(str(exc), permanent=True), str(exc)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        return None, DeliveryFailed(error), error
    return response.status, response, ""


def _begin(message: OutboxMessage) -> WebhookDelivery:
    try:
        return circuit.begin(message)
    except circuit.Disabled as exc:
        raise DeliveryFailed(str(exc), skip=True) from None
    except circuit.Wait as exc:
        raise DeliveryFailed(str(exc), postpone_until=exc.until) from None


def send_webhook(message: OutboxMessage) -> None:
    subscription = message.subscription
    if subscription is None or not subscription.is_active:
        raise DeliveryFailed("the subscription is disabled", skip=True)
    # The owner's sight of the complaint is checked again now: the fan-out was at write time.
    if refused := subscription_may_see(subscription, message.complaint):
        raise DeliveryFailed(f"not sent: {refused}", skip=True)
    body = json.dumps(message.payload, separators=(",", ":"), sort_keys=True)
    attempt = _begin(message)  # logged and committed before anything is sent
    subscription = attempt.subscription
    started = time.monotonic()
    try:
        status, outcome, error = _post(subscription, message, body)
    except Exception as exc:
        # A bug or a time limit, not an answer: log it, then let the row be retried.
        circuit.finish(
            attempt,
            status_code=None,
            latency_ms=int((time.monotonic() - started) * 1000),
            error=f"{type(exc).__name__}: {exc}"[:500],
            delivered=False,
            unhealthy=False,
        )
        raise
    failure = outcome if status is None else classify(status, outcome.headers)
    circuit.finish(
        attempt,
        status_code=status,
        latency_ms=int((time.monotonic() - started) * 1000),
        error=error,
        delivered=failure is None,
        unhealthy=failure is not None and failure.unhealthy,
    )
    if failure is None:
        return
    if status == 410:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            is_active=False, disabled_reason="receiver answered 410 Gone", updated_at=timezone.now()
        )
    raise failure
