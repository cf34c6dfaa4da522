"""Delivery: claims, retries with backoff, dead letters and replay, webhook answers, signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from complaints.models import OutboxMessage, OutboxStatus, WebhookDelivery
from complaints.notifications import channels, delivery, netguard
from complaints.notifications.outbox import dispatch
from complaints.services.webhooks import ReplayRefused, outbox_replay, webhook_secret_rotate

pytestmark = pytest.mark.django_db

SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]


@pytest.fixture
def hook(file_complaint, subscribe, receiver) -> OutboxMessage:
    """One webhook row, written by a real filing, not yet delivered."""
    sub = subscribe()
    complaint = file_complaint()  # no on-commit execution: the row stays pending
    return OutboxMessage.objects.get(complaint=complaint, subscription=sub)


def refresh(row: OutboxMessage) -> OutboxMessage:
    row.refresh_from_db()
    return row


def test_delivering_twice_sends_once(hook, receiver):
    assert delivery.deliver(hook.pk) is True
    assert delivery.deliver(hook.pk) is False
    assert receiver.ids() == [hook.idempotency_key]
    assert refresh(hook).status == OutboxStatus.DELIVERED
    assert hook.attempts == 1


def test_a_claimed_row_is_not_taken_by_a_second_worker(hook, receiver, settings):
    settings.OUTBOX_CLAIM_SECONDS = 60
    first = delivery.claim(hook.pk)
    assert first is not None
    assert delivery.claim(hook.pk) is None
    assert delivery.deliver(hook.pk) is False
    assert receiver.calls == []


def test_an_expired_claim_is_taken_again(hook, receiver):
    OutboxMessage.objects.filter(pk=hook.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert delivery.deliver(hook.pk) is True
    assert receiver.ids() == [hook.idempotency_key]


def test_a_row_waiting_for_its_retry_is_not_sent_early(hook, receiver):
    OutboxMessage.objects.filter(pk=hook.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert delivery.deliver(hook.pk) is False
    assert delivery.sweep() == 0
    assert receiver.calls == []


def test_sweep_reserves_rows_for_the_tasks_it_queued(hook, receiver, monkeypatch):
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(delivery_task(), "delay", lambda *args: queued.append(args))
    assert delivery.sweep() == 1
    assert delivery.sweep() == 0, "a queued row is not queued again on the next sweep"
    assert delivery.deliver(hook.pk) is False, "another task can't take a reserved row"
    pk, lease = queued[0]
    assert delivery.deliver(pk, lease=datetime.fromisoformat(lease)) is True
    assert receiver.ids() == [hook.idempotency_key]


def delivery_task() -> Any:
    from complaints.notifications.tasks import deliver_outbox_message

    return deliver_outbox_message


@hsettings(max_examples=200, deadline=None)
@given(attempts=st.integers(min_value=1, max_value=len(SCHEDULE) - 1))
def test_backoff_follows_the_schedule_with_bounded_jitter(attempts):
    delay = delivery.next_delay(attempts, SCHEDULE)
    assert delay is not None
    assert SCHEDULE[attempts] <= delay <= SCHEDULE[attempts] * 1.1


def test_backoff_jitter_spreads_retries():
    delays = {round(delivery.next_delay(2, SCHEDULE) or 0, 3) for _ in range(50)}
    assert len(delays) > 10, "retries of many rows must not all fire at the same instant"
    assert delivery.next_delay(len(SCHEDULE), SCHEDULE) is None


def test_failure_schedules_the_next_attempt_then_dead_letters_and_replays(hook, receiver, settings):
    settings.OUTBOX_RETRY_SCHEDULE = [0, 5, 300]
    receiver.answer(500)
    before = timezone.now()
    assert delivery.deliver(hook.pk) is False
    row = refresh(hook)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.locked_until is None
    assert before + timedelta(seconds=5) <= row.next_attempt_at <= timezone.now() + timedelta(seconds=5.5)
    assert "HTTP 500" in row.last_error

    receiver.answer(503, 502)
    for _ in range(2):
        OutboxMessage.objects.filter(pk=hook.pk).update(next_attempt_at=timezone.now())
        delivery.deliver(hook.pk)
    row = refresh(hook)
    assert row.status == OutboxStatus.DEAD
    assert row.attempts == 3
    assert list(row.deliveries.order_by("attempt").values_list("attempt", "status_code")) == [
        (1, 500),
        (2, 503),
        (3, 502),
    ]

    outbox_replay(message=row)
    row = refresh(hook)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 0
    assert row.idempotency_key == hook.idempotency_key
    assert delivery.deliver(hook.pk) is True
    assert receiver.ids() == [hook.idempotency_key] * 4, "the same webhook-id on every attempt"
    with pytest.raises(ReplayRefused, match="already delivered"):
        outbox_replay(message=row)


def test_500_then_200_is_delivered_on_the_retry_with_attempts_logged(hook, receiver):
    receiver.answer(500, 200)
    assert delivery.deliver(hook.pk) is False
    OutboxMessage.objects.filter(pk=hook.pk).update(next_attempt_at=timezone.now())
    assert delivery.deliver(hook.pk) is True
    log = list(WebhookDelivery.objects.filter(message=hook).order_by("attempt"))
    assert [(d.attempt, d.status_code) for d in log] == [(1, 500), (2, 200)]
    assert all(d.latency_ms is not None for d in log)


def test_410_disables_the_subscription(hook, receiver):
    receiver.answer(410)
    assert delivery.deliver(hook.pk) is False
    row = refresh(hook)
    assert row.status == OutboxStatus.DEAD
    assert not row.subscription.is_active
    assert "410" in row.subscription.disabled_reason
    # Rows already queued for it are skipped, not sent; a replay is refused until re-enabled.
    other = OutboxMessage.objects.create(
        event_type="complaint.status_changed",
        channel="webhook",
        subscription=row.subscription,
        payload={"type": "x"},
        idempotency_key="msg_other",
        next_attempt_at=timezone.now(),
    )
    assert delivery.deliver(other.pk) is False
    assert refresh(other).status == OutboxStatus.SKIPPED
    assert len(receiver.calls) == 1
    with pytest.raises(ReplayRefused, match="re-enable"):
        outbox_replay(message=row)


def test_retry_after_is_honoured(hook, receiver):
    receiver.answer((429, {"Retry-After": "600"}))
    delivery.deliver(hook.pk)
    assert refresh(hook).next_attempt_at >= timezone.now() + timedelta(seconds=590), "600 s, not the 5 s schedule"


def test_retry_after_as_http_date():
    now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert channels.parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert channels.parse_retry_after("120") == 120
    assert channels.parse_retry_after("soon") is None
    assert channels.parse_retry_after("99999999") == 24 * 3600


def test_other_4xx_is_retried_a_few_times_then_dead_lettered(hook, receiver, settings):
    settings.OUTBOX_CLIENT_ERROR_ATTEMPTS = 2
    receiver.answer(400, 400)
    delivery.deliver(hook.pk)
    assert refresh(hook).status == OutboxStatus.PENDING
    OutboxMessage.objects.filter(pk=hook.pk).update(next_attempt_at=timezone.now())
    delivery.deliver(hook.pk)
    assert refresh(hook).status == OutboxStatus.DEAD


def test_signatures_verify_with_both_secrets_during_rotation(hook, receiver):
    sub = hook.subscription
    old_secret = sub.secret
    new_secret = webhook_secret_rotate(subscription=sub)
    assert new_secret.startswith("whsec_")
    assert new_secret != old_secret
    delivery.deliver(hook.pk)
    call = receiver.calls[0]
    headers = call["headers"]
    assert headers["webhook-id"] == hook.idempotency_key
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, new_secret):
        payload = Webhook(secret).verify(call["body"], headers)
        assert payload["data"]["code"] == hook.complaint.code
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(call["body"], headers)


def test_after_the_overlap_only_the_new_secret_signs(hook):
    sub = hook.subscription
    old_secret = sub.secret
    webhook_secret_rotate(subscription=sub)
    later = timezone.now() + timedelta(days=2)
    headers = channels.signature_headers(sub, "msg_1", "{}", now=later)
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert Webhook(sub.secret).sign("msg_1", later, "{}") == headers["webhook-signature"]
    assert Webhook(old_secret).sign("msg_1", later, "{}") != headers["webhook-signature"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_private_and_loopback_addresses_are_refused(url):
    with pytest.raises(netguard.UnsafeURL, match="private or local"):
        netguard.resolve(url, allow_private=False)


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "http:///nohost"])
def test_only_http_urls_with_a_host(url):
    with pytest.raises(netguard.UnsafeURL):
        netguard.resolve(url, allow_private=True)


def test_public_address_is_accepted_and_pinned():
    target = netguard.resolve("https://93.184.215.14:8443/hooks?x=1", allow_private=False)
    assert (target.ip, target.port, target.path, target.host_header) == (
        "93.184.215.14",
        8443,
        "/hooks?x=1",
        "93.184.215.14:8443",
    )


def test_delivery_to_a_private_address_is_dead_lettered_without_a_request(hook, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert delivery.deliver(hook.pk) is False
    row = refresh(hook)
    assert row.status == OutboxStatus.DEAD
    assert "private or local" in row.last_error
    assert receiver.calls == []
    assert row.deliveries.get().status_code is None


def test_a_failed_publish_never_breaks_filing_and_the_sweeper_delivers(
    file_complaint, subscribe, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from complaints.notifications import outbox

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    subscribe()
    monkeypatch.setattr(outbox, "_publish_paused_until", 0.0)
    with monkeypatch.context() as broken:
        broken.setattr(delivery_task(), "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            complaint = file_complaint()
        row = OutboxMessage.objects.get(complaint=complaint, channel="webhook")
        assert row.status == OutboxStatus.PENDING
        assert receiver.calls == []
        assert dispatch([row.pk]) == 0, "publishing pauses for a while after a failure"
    assert delivery.sweep() == 1
    assert refresh(row).status == OutboxStatus.DELIVERED


def test_outbox_deliver_command_sends_due_rows_without_beat(hook, receiver):
    from django.core.management import call_command

    call_command("outbox_deliver", "--once")
    assert receiver.ids() == [hook.idempotency_key]
    assert refresh(hook).status == OutboxStatus.DELIVERED


class RefusingBackend:
    """An email backend whose server says the mailbox does not exist."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        import smtplib

        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"5.1.1 no such mailbox")})


def test_a_mailbox_refused_for_good_is_dead_lettered_at_once(file_complaint, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.RefusingBackend"
    complaint = file_complaint(full_name="A Person", email="nobody@example.org")
    receipt = OutboxMessage.objects.get(complaint=complaint, recipient="nobody@example.org")
    assert delivery.deliver(receipt.pk) is False
    row = refresh(receipt)
    assert row.status == OutboxStatus.DEAD
    assert "550" in row.last_error
