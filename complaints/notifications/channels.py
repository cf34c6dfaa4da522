"""Sending one outbox row over its channel: email or a signed webhook."""

from __future__ import annotations

import time
from typing import Any

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from standardwebhooks.webhooks import Webhook

from complaints.models import OutboxChannel, OutboxMessage, WebhookDelivery


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def send(message: OutboxMessage) -> None:
    if message.channel == OutboxChannel.EMAIL:
        send_email(message)
    else:
        send_webhook(message)


def send_email(message: OutboxMessage) -> None:
    context: dict[str, Any] = {"m": message.payload, "event": message.event_type, "site_url": settings.SITE_URL}
    with translation.override(message.recipient_language):
        subject = render_to_string("complaints/email/subject.txt", context).strip()
        text = render_to_string("complaints/email/body.txt", context)
        html = render_to_string("complaints/email/body.html", context)
    mail = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [message.recipient],
        headers={"X-Registry-Message-Id": message.idempotency_key},
    )
    mail.attach_alternative(html, "text/html")
    mail.send()


def signature_headers(message: OutboxMessage, body: str) -> dict[str, str]:
    from datetime import UTC, datetime

    sub = message.subscription
    assert sub is not None
    ts = datetime.now(tz=UTC)
    sigs = [Webhook(sub.secret).sign(message.idempotency_key, ts, body)]
    if sub.previous_secret and sub.previous_secret_expires_at and sub.previous_secret_expires_at > ts:
        sigs.append(Webhook(sub.previous_secret).sign(message.idempotency_key, ts, body))
    return {
        "webhook-id": message.idempotency_key,
        "webhook-timestamp": str(int(ts.timestamp())),
        "webhook-signature": " ".join(sigs),
        "content-type": "application/json",
    }


def send_webhook(message: OutboxMessage) -> None:
    import json

    sub = message.subscription
    if sub is None or not sub.is_active:
        raise DeliveryFailed("subscription disabled", permanent=True)
    body = json.dumps(message.payload, separators=(",", ":"))
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        response = requests.post(
            sub.url,
            data=body.encode(),
            headers=signature_headers(message, body),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status_code = response.status_code
    except requests.RequestException as exc:
        error = str(exc)[:500]
    latency = int((time.monotonic() - started) * 1000)
    WebhookDelivery.objects.create(
        subscription=sub,
        message=message,
        attempt=message.attempts + 1,
        status_code=status_code,
        latency_ms=latency,
        error=error,
    )
    if status_code is not None and 200 <= status_code < 300:
        return
    if status_code == 410:
        type(sub).objects.filter(pk=sub.pk).update(is_active=False, disabled_reason="receiver answered 410 Gone")
        raise DeliveryFailed("410 Gone: subscription disabled", permanent=True)
    retry_after = None
    if status_code is not None:
        try:
            retry_after = float(response.headers.get("Retry-After", ""))
        except ValueError:
            retry_after = None
    raise DeliveryFailed(error or f"HTTP {status_code}", retry_after=retry_after)
