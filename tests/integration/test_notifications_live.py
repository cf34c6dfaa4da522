"""Notifications end to end: a real worker, beat, Redis, SMTP server and webhook receiver.

Timings here are bounds on waiting, not assertions about speed (that is benchmarks/).
"""

from __future__ import annotations

from typing import Any

import pytest
from celery.result import AsyncResult
from django.db import transaction

from complaints import services
from complaints.models import Complaint, OutboxMessage, OutboxStatus, WebhookDelivery, WebhookSubscription
from complaints.notifications.outbox import outbox_record
from tests.integration.conftest import Live, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NAME, EMAIL, PHONE = "Нурлан Скрытый", "nurlan.hidden@example.kz", "+7 777 000 11 22"


def subscribe(live: Live, owner: Any, path: str = "/hook") -> WebhookSubscription:
    sub = WebhookSubscription.objects.create(owner=owner, url=live.receiver.url + path)
    live.receiver.state.secrets[path] = [sub.secret]
    return sub


def pending() -> int:
    return OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()


def wait_all_delivered(live: Live, timeout: float = 60) -> None:
    def done() -> bool:
        live.celery.worker_alive()
        return pending() == 0

    wait_for(done, timeout, f"every outbox row to be delivered ({pending()} pending)", interval=0.25)
    stuck = OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).values_list("id", "status", "last_error")
    assert not stuck, f"rows not delivered: {list(stuck)}"


def webhook_keys() -> set[str]:
    return set(OutboxMessage.objects.filter(channel="webhook").values_list("idempotency_key", flat=True))


def test_a_task_round_trips_through_redis_to_the_worker(live: Live) -> None:
    from celery.backends.redis import RedisBackend

    from complaints.tasks import ping
    from registry.celery import app

    backend = RedisBackend(app=app, url=live.celery.env["CELERY_RESULT_BACKEND"])
    sent = ping.apply_async(("round-trip",))
    assert AsyncResult(sent.id, backend=backend, app=app).get(timeout=30) == "round-trip"


def test_filing_and_moving_complaints_sends_the_right_emails_and_signed_webhooks(
    live: Live, make_user: Any, territory: dict[str, Any], file_complaint: Any, settings: Any
) -> None:
    settings.OUTBOX_BATCH_SECONDS = 3  # both filings below land in one reviewer alert
    reviewer = make_user("reviewer", [territory["pav"]])
    reviewer.profile.language = "en"  # the subjects checked below are the English ones
    reviewer.profile.save()
    outsider = make_user("reviewer", [territory["ala"]])
    coordinator = make_user("coordinator", [territory["pav"]])
    coordinator.profile.language = "kk"
    coordinator.profile.save()
    subscribe(live, make_user("admin"))

    named = file_complaint(full_name=NAME, email=EMAIL, phone=PHONE, language="en")
    anonymous = file_complaint(anonymous=True)
    complaint = services.complaint_transition(complaint=named, action="triage", actor=reviewer)
    complaint = services.complaint_assign(complaint=complaint, assignee=reviewer, actor=coordinator)
    complaint = services.complaint_transition(complaint=complaint, action="start_review", actor=reviewer)
    complaint = services.complaint_transition(
        complaint=complaint, action="request_info", actor=reviewer, comment="When exactly did it happen?"
    )
    wait_all_delivered(live)

    receipts = live.mailbox.to(EMAIL)
    assert sorted(m["Subject"] for m in receipts) == sorted(
        [
            f"Your complaint {named.code} was received",
            f"Your complaint {named.code}: more information is needed",
        ]
    )
    assert all(m["Content-Language"] == "en" for m in receipts)
    assert "When exactly did it happen?" in "".join(m.get_body(("plain",)).get_content() for m in receipts)

    alerts = live.mailbox.to(reviewer.email)
    batched = [m for m in alerts if "new complaints" in m["Subject"]]
    assert len(batched) == 1, [m["Subject"] for m in alerts]
    body = batched[0].get_body(("plain",)).get_content()
    assert named.code in body
    assert anonymous.code in body
    assert any(m["Subject"] == f"Complaint {named.code} was assigned to you" for m in alerts)
    assert live.mailbox.to(outsider.email) == []
    assert live.mailbox.to(coordinator.email) == []

    for rcpt, message in live.mailbox.messages:
        if EMAIL in rcpt:
            continue
        raw = message.as_string()
        for secret in (NAME, EMAIL, PHONE):
            assert secret not in raw, f"{secret} leaked to {rcpt}"

    state = live.receiver.state
    assert all(r.verified for r in state.requests), "every webhook carries a valid signature"
    assert set(state.processed) == webhook_keys()
    types = sorted(r.payload["type"] for r in state.processed.values() if r.payload)
    assert types.count("complaint.status_changed") == 3
    assert types.count("complaint.submitted") == 2
    assert "complaint.needs_info" in types
    assert "complaint.assigned" in types


def test_worker_killed_mid_delivery_loses_nothing(live: Live, make_user: Any, file_complaint: Any) -> None:
    subscribe(live, make_user("admin"))
    live.receiver.state.delay = 0.01  # a receiver that takes a little time, so the kill lands mid-flight
    complaint = file_complaint()
    with transaction.atomic():
        for _ in range(499):
            outbox_record(complaint=complaint, event_type="complaint.status_changed")
    keys = webhook_keys()
    assert len(keys) == 500

    wait_for(lambda: len(live.receiver.state.processed) >= 60, 60, "the first deliveries")
    live.celery.kill_worker()
    delivered_before_restart = len(live.receiver.state.processed)
    assert delivered_before_restart < 500, "the kill must land while deliveries are under way"
    assert pending() > 0

    live.celery.start_worker()
    wait_all_delivered(live, timeout=120)
    wait_for(lambda: set(live.receiver.state.processed) >= keys, 30, "the receiver to see every webhook-id")

    state = live.receiver.state
    assert set(state.processed) == keys, "every one of the 500 webhook-ids arrived"
    assert all(r.verified for r in state.requests)
    processed_ids = [r.webhook_id for r in state.processed.values()]
    assert len(processed_ids) == len(set(processed_ids)) == 500, "each processed exactly once"
    # A send interrupted by the kill may be repeated; the receiver acknowledged it without reprocessing.
    print(
        f"kill -9 after {delivered_before_restart}/500 delivered; "
        f"{len(state.requests)} requests, {state.redeliveries()} redelivered and deduped"
    )


def test_redis_down_during_filing_then_everything_delivered(
    live: Live, make_user: Any, file_complaint: Any, caplog: pytest.LogCaptureFixture
) -> None:
    subscribe(live, make_user("admin"))
    live.redis.stop()
    codes = []
    for n in range(5):
        complaint = file_complaint(full_name=f"Reporter {n}", email=f"reporter{n}@example.kz", language="ru")
        codes.append(complaint.code)
    assert Complaint.objects.count() == 5, "filing works without Redis"
    assert pending() == 10, "receipts and webhooks are safe in the outbox"
    assert "left to the sweeper" in caplog.text

    live.redis.start()
    wait_all_delivered(live, timeout=90)
    assert set(live.receiver.state.processed) == webhook_keys()
    for n, code in enumerate(codes):
        [receipt] = live.mailbox.to(f"reporter{n}@example.kz")
        assert code in receipt["Subject"]


def test_receiver_answering_500_then_200_gets_it_on_a_retry(live: Live, make_user: Any, file_complaint: Any) -> None:
    subscribe(live, make_user("admin"))
    live.receiver.state.scripts["/hook"] = [500, (503, {"Retry-After": "1"})]
    file_complaint()
    wait_all_delivered(live)
    [message] = OutboxMessage.objects.filter(channel="webhook")
    assert message.attempts == 3
    log = list(WebhookDelivery.objects.filter(message=message).order_by("attempt"))
    assert [(d.attempt, d.status_code) for d in log] == [(1, 500), (2, 503), (3, 200)]
    assert all(d.latency_ms is not None for d in log)
    assert [r.status for r in live.receiver.state.requests] == [500, 503, 200]


def test_receiver_answering_410_disables_the_subscription(live: Live, make_user: Any, file_complaint: Any) -> None:
    sub = subscribe(live, make_user("admin"))
    live.receiver.state.scripts["/hook"] = [410]
    file_complaint()
    wait_for(lambda: not WebhookSubscription.objects.get(pk=sub.pk).is_active, 30, "the subscription to be disabled")
    message = OutboxMessage.objects.get(channel="webhook")
    wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.DEAD, 10, "dead-letter")
    sub.refresh_from_db()
    assert "410" in sub.disabled_reason
