"""A slow or dead webhook receiver delays nobody else; the delivery log survives a crash mid-send.

Issue 10: separate queues per channel, short connect/read timeouts, a concurrency cap
and a circuit breaker per subscription; the attempt logged before the request; a
subscription disabled by a 410 moves its ``updated_at``.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import urllib3
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from complaints.models import (
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    WebhookDelivery,
    WebhookDeliveryState,
    WebhookSubscription,
)
from complaints.notifications import circuit, delivery, netguard
from complaints.notifications.outbox import outbox_record

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
QUEUES = {"default", "mail", "webhooks", "messengers"}


def refresh(row: Any) -> Any:
    row.refresh_from_db()
    return row


def status_changed(complaint: Any, n: int = 1) -> None:
    for _ in range(n):
        outbox_record(complaint=complaint, event_type="complaint.status_changed")


def webhook_rows(sub: WebhookSubscription) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(subscription=sub).order_by("pk"))


# --- queues: email and webhooks never share a queue -------------------------------------


def test_email_and_webhook_deliveries_are_routed_to_their_own_queues():
    from registry.celery import app

    router = app.amqp.router
    route = {
        name: router.route({}, f"complaints.{name}", (), {})["queue"].name
        for name in (
            "notifications.tasks.deliver_email_message",
            "notifications.tasks.deliver_outbox_message",
            "notifications.tasks.deliver_messenger_message",
            "tasks.telegram_update_process",
            "notifications.tasks.outbox_sweep",
            "notifications.tasks.coordinator_digest",
            "tasks.sla_check",
            "tasks.housekeeping",
        )
    }
    assert route == {
        "notifications.tasks.deliver_email_message": "mail",
        "notifications.tasks.deliver_outbox_message": "webhooks",
        "notifications.tasks.deliver_messenger_message": "messengers",
        "tasks.telegram_update_process": "messengers",
        "notifications.tasks.outbox_sweep": "default",
        "notifications.tasks.coordinator_digest": "default",
        "tasks.sla_check": "default",
        "tasks.housekeeping": "default",
    }
    # A worker started without -Q consumes every queue, so one worker still does everything.
    assert set(app.amqp.queues) == QUEUES
    assert set(django_settings.CELERY_TASK_QUEUES) == QUEUES


def test_fresh_and_swept_rows_are_published_on_their_channels_queue(
    file_complaint, subscribe, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    from complaints.notifications import tasks

    queued: list[tuple[str, int]] = []
    for task in (tasks.deliver_email_message, tasks.deliver_outbox_message):
        monkeypatch.setattr(task, "apply_async", lambda args, task=task, **kw: queued.append((task.name, args[0])))
        monkeypatch.setattr(task, "delay", lambda pk, lease, task=task: queued.append((task.name, pk)))
    subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(full_name="A Person", email="person@example.org", language="en")
    receipt = OutboxMessage.objects.get(complaint=complaint, channel=OutboxChannel.EMAIL)
    hook = OutboxMessage.objects.get(complaint=complaint, channel=OutboxChannel.WEBHOOK)
    expected = sorted(
        [
            ("complaints.notifications.tasks.deliver_email_message", receipt.pk),
            ("complaints.notifications.tasks.deliver_outbox_message", hook.pk),
        ]
    )
    assert sorted(queued) == expected

    queued.clear()
    OutboxMessage.objects.update(locked_until=None)
    assert delivery.sweep() == 2
    assert sorted(queued) == expected


def test_an_earlier_sweeps_task_still_delivers_a_row_reserved_again(file_complaint, subscribe, receiver, monkeypatch):
    """The sweeper runs on its own queue, beside a backlog: when a row's lease runs out before
    its task comes up, the sweeper reserves it again; the first task to come up sends it."""
    from complaints.notifications import tasks

    queued: list[tuple[int, str]] = []
    monkeypatch.setattr(tasks.deliver_outbox_message, "delay", lambda pk, lease: queued.append((pk, lease)))
    sub = subscribe()
    file_complaint()
    [row] = webhook_rows(sub)
    assert delivery.sweep() == 1
    OutboxMessage.objects.filter(pk=row.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    assert delivery.sweep() == 1, "the lease ran out: reserved again"
    (_, first), (_, second) = queued
    assert first != second
    assert delivery.deliver(row.pk) is False, "a task not queued by the sweeper can't take a reserved row"
    assert delivery.deliver(row.pk, lease=datetime.fromisoformat(first)) is True
    assert delivery.deliver(row.pk, lease=datetime.fromisoformat(second)) is False
    assert receiver.ids() == [row.idempotency_key]


def test_compose_and_make_start_one_worker_pool_per_queue():
    compose = (ROOT / "docker-compose.yml").read_text()
    consumed = set()
    for queues in re.findall(r'"-Q", "([a-z,]+)"', compose):
        consumed |= set(queues.split(","))
    assert consumed == QUEUES, "each queue has a worker service of its own"
    assert len(re.findall(r'"-Q", "', compose)) == 4
    makefile = (ROOT / "Makefile").read_text()
    worker = makefile[makefile.index("\nworker:") : makefile.index("\nbeat:")]
    assert "WORKER_QUEUES" in worker
    assert "-Q" in worker


# --- timeouts -------------------------------------------------------------------------


def test_webhook_requests_use_short_connect_and_read_timeouts(file_complaint, subscribe, receiver):
    subscribe()
    file_complaint()
    [row] = OutboxMessage.objects.filter(channel=OutboxChannel.WEBHOOK)
    assert delivery.deliver(row.pk) is True
    timeout = receiver.calls[0]["timeout"]
    assert isinstance(timeout, urllib3.Timeout)
    assert (timeout.connect_timeout, timeout.read_timeout) == (3, 5)
    assert django_settings.WEBHOOK_CONNECT_TIMEOUT + django_settings.WEBHOOK_READ_TIMEOUT < (
        django_settings.OUTBOX_CLAIM_SECONDS
    ), "a claim outlives the slowest attempt"


class _SlowHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(3)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def slow_server() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_a_receiver_slower_than_the_read_timeout_is_cut_off_and_retried(
    file_complaint, subscribe, slow_server, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_READ_TIMEOUT = 0.3
    sub = subscribe(url=slow_server)
    file_complaint()
    [row] = webhook_rows(sub)
    started = time.monotonic()
    assert delivery.deliver(row.pk) is False
    assert time.monotonic() - started < 2, "the 3 s receiver is cut off by the read timeout"
    row = refresh(row)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 1
    assert "timed out" in row.last_error.lower()
    [attempt] = WebhookDelivery.objects.filter(message=row)
    assert (attempt.state, attempt.status_code) == (WebhookDeliveryState.FAILED, None)
    assert refresh(sub).consecutive_failures == 1


# --- the circuit breaker ----------------------------------------------------------------


def _due(row: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())


def test_breaker_opens_after_failures_in_a_row_and_postpones_without_losing(
    file_complaint, subscribe, receiver, settings
):
    settings.WEBHOOK_BREAKER_FAILURES = 3
    settings.WEBHOOK_BREAKER_COOLDOWN_SECONDS = 30
    settings.OUTBOX_RETRY_SCHEDULE = [0, 0, 0, 0, 0, 0]
    dead = subscribe(url="http://127.0.0.1:9/dead")
    alive = subscribe(url="http://127.0.0.1:9/alive")
    complaint = file_complaint()
    status_changed(complaint, 2)
    first, second, third = webhook_rows(dead)
    receiver.answer(503, 502, 504)
    for row in (first, second, third):
        assert delivery.deliver(row.pk) is False
    dead = refresh(dead)
    assert dead.consecutive_failures == 3
    assert dead.circuit_opens == 1
    assert dead.circuit_open_until is not None
    assert 25 <= (dead.circuit_open_until - timezone.now()).total_seconds() <= 30
    updated_at = dead.updated_at

    # While open: nothing is sent to it, its rows wait (pending, no attempt counted) ...
    calls = len(receiver.calls)
    status_changed(complaint)
    fresh = webhook_rows(dead)[-1]
    assert delivery.deliver(fresh.pk) is False
    fresh = refresh(fresh)
    assert len(receiver.calls) == calls
    assert (fresh.status, fresh.attempts) == (OutboxStatus.PENDING, 0)
    assert fresh.next_attempt_at >= dead.circuit_open_until
    assert "circuit open" in fresh.last_error
    assert not WebhookDelivery.objects.filter(message=fresh).exists()
    # ... and the sweeper leaves them alone until then.
    OutboxMessage.objects.exclude(pk=fresh.pk).update(status=OutboxStatus.DEAD)
    assert delivery.sweep() == 0
    # ... while another subscription is served as usual.
    for row in webhook_rows(alive):
        OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING)
        assert delivery.deliver(row.pk) is True
    assert refresh(dead).updated_at == updated_at, "breaker state is not a change of the subscription"

    # After the cool-down one trial goes out; if it fails, the breaker reopens for twice as long.
    WebhookSubscription.objects.filter(pk=dead.pk).update(circuit_open_until=timezone.now() - timedelta(seconds=1))
    _due(fresh)
    receiver.answer(500)
    assert delivery.deliver(fresh.pk) is False
    dead = refresh(dead)
    assert dead.circuit_opens == 2
    assert 55 <= (dead.circuit_open_until - timezone.now()).total_seconds() <= 60

    # A successful trial closes it.
    WebhookSubscription.objects.filter(pk=dead.pk).update(circuit_open_until=timezone.now() - timedelta(seconds=1))
    _due(fresh)
    assert delivery.deliver(fresh.pk) is True
    dead = refresh(dead)
    assert (dead.consecutive_failures, dead.circuit_opens, dead.circuit_open_until) == (0, 0, None)
    assert refresh(fresh).status == OutboxStatus.DELIVERED


def test_cooldown_doubles_up_to_the_maximum(settings):
    settings.WEBHOOK_BREAKER_COOLDOWN_SECONDS = 30
    settings.WEBHOOK_BREAKER_MAX_COOLDOWN_SECONDS = 3600
    assert [circuit.cooldown(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_configuration_errors_do_not_trip_the_breaker(file_complaint, subscribe, receiver, settings):
    settings.WEBHOOK_BREAKER_FAILURES = 2
    sub = subscribe()
    complaint = file_complaint()
    status_changed(complaint)
    receiver.answer(400, 404)
    for row in webhook_rows(sub):
        delivery.deliver(row.pk)
    assert refresh(sub).consecutive_failures == 0
    assert refresh(sub).circuit_open_until is None


# --- the concurrency cap --------------------------------------------------------------


def test_at_most_k_attempts_in_flight_per_subscription_the_rest_wait(
    file_complaint, subscribe, receiver, settings, monkeypatch
):
    """While an attempt is in flight (inside the POST), a second one to the same receiver waits."""
    settings.WEBHOOK_MAX_IN_FLIGHT = 1
    slow = subscribe(url="http://127.0.0.1:9/slow")
    other = subscribe(url="http://127.0.0.1:9/other")
    complaint = file_complaint()
    status_changed(complaint)
    slow_first, slow_second = webhook_rows(slow)
    other_first = webhook_rows(other)[0]
    seen: dict[str, Any] = {}

    def post(target: netguard.Target, body: bytes, headers: dict[str, str], timeout: Any) -> netguard.Response:
        if target.path == "/slow" and "second" not in seen:
            # Meanwhile another worker picks up the same subscription's next row ...
            seen["second"] = delivery.deliver(slow_second.pk)
            # ... and another subscription's row.
            seen["other"] = delivery.deliver(other_first.pk)
        return receiver.post(target, body, headers, timeout)

    monkeypatch.setattr(netguard, "post", post)
    assert delivery.deliver(slow_first.pk) is True
    assert seen == {"second": False, "other": True}, "the busy receiver's next row waits, another subscriber's goes"
    second = refresh(slow_second)
    assert (second.status, second.attempts) == (OutboxStatus.PENDING, 0)
    assert "in flight" in second.last_error
    assert timezone.now() < second.next_attempt_at <= timezone.now() + timedelta(seconds=3.5)
    assert not WebhookDelivery.objects.filter(message=second).exists()
    # Once the first is done, the second goes.
    _due(second)
    assert delivery.deliver(second.pk) is True
    assert [c["target"].path for c in receiver.calls] == ["/other", "/slow", "/slow"]


def test_an_attempt_left_sending_by_a_dead_worker_stops_counting_after_the_claim(
    file_complaint, subscribe, receiver, settings
):
    settings.WEBHOOK_MAX_IN_FLIGHT = 1
    sub = subscribe()
    complaint = file_complaint()
    status_changed(complaint)
    first, second = webhook_rows(sub)
    stale = WebhookDelivery.objects.create(subscription=sub, message=first, attempt=1)
    assert delivery.deliver(second.pk) is False, "in flight: the second waits"
    WebhookDelivery.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS + 1)
    )
    _due(second)
    assert delivery.deliver(second.pk) is True


def test_a_slow_receivers_backlog_waits_as_long_as_a_request_may_take(file_complaint, subscribe, receiver, settings):
    """Its rows don't cycle through the worker pool every 2 s while its attempts hang."""
    settings.WEBHOOK_MAX_IN_FLIGHT = 1
    sub = subscribe()
    complaint = file_complaint()
    status_changed(complaint)
    first, second = webhook_rows(sub)
    hanging = WebhookDelivery.objects.create(subscription=sub, message=first, attempt=1)
    WebhookDelivery.objects.filter(pk=hanging.pk).update(created_at=timezone.now() - timedelta(seconds=3))
    before = timezone.now()
    assert delivery.deliver(second.pk) is False
    wait = (refresh(second).next_attempt_at - before).total_seconds()
    request_may_take = settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT
    assert request_may_take <= wait <= request_may_take * 1.5 + 0.5


# --- the attempt is logged before the request ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_send_cut_off_mid_request_is_in_the_delivery_log(file_complaint, subscribe, receiver, monkeypatch):
    """kill -9 during the POST: the attempt was committed before it, so the log shows it."""
    from complaints.notifications import outbox

    monkeypatch.setattr(outbox, "dispatch", lambda *args: 0)  # filing commits here: keep the row pending
    sub = subscribe()
    file_complaint()
    [row] = webhook_rows(sub)
    during: dict[str, Any] = {}

    def killed(target: netguard.Target, body: bytes, headers: dict[str, str], timeout: Any) -> netguard.Response:
        during["in_transaction"] = connection.in_atomic_block
        during["logged"] = list(WebhookDelivery.objects.filter(message=row).values_list("attempt", "state"))
        raise SystemExit("worker killed")  # like SIGKILL: no except clause gets to run

    monkeypatch.setattr(netguard, "post", killed)
    with pytest.raises(SystemExit):
        delivery.deliver(row.pk)
    assert during == {"in_transaction": False, "logged": [(1, WebhookDeliveryState.SENDING)]}
    [attempt] = WebhookDelivery.objects.filter(message=row)
    assert attempt.state == WebhookDeliveryState.SENDING
    assert attempt.finished_at is None

    # The claim runs out, the sweeper hands the row out again: the cut-off attempt is marked
    # and counted, the new one is attempt 2.
    monkeypatch.setattr(netguard, "post", receiver.post)
    OutboxMessage.objects.filter(pk=row.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert delivery.deliver(row.pk) is True
    log = list(WebhookDelivery.objects.filter(message=row).order_by("attempt").values_list("attempt", "state"))
    assert log == [(1, WebhookDeliveryState.INTERRUPTED), (2, WebhookDeliveryState.DELIVERED)]
    assert refresh(row).attempts == 2
    assert len(receiver.calls) == 1


def test_every_finished_attempt_has_its_outcome(file_complaint, subscribe, receiver):
    sub = subscribe()
    file_complaint()
    [row] = webhook_rows(sub)
    receiver.answer(500)
    delivery.deliver(row.pk)
    _due(row)
    delivery.deliver(row.pk)
    log = list(WebhookDelivery.objects.filter(message=row).order_by("attempt"))
    assert [(d.attempt, d.state, d.status_code) for d in log] == [
        (1, WebhookDeliveryState.FAILED, 500),
        (2, WebhookDeliveryState.DELIVERED, 200),
    ]
    assert all(d.finished_at is not None and d.finished_at >= d.created_at for d in log)
    assert all(d.latency_ms is not None for d in log)


# --- 410 ---------------------------------------------------------------------------------


def test_a_subscription_disabled_by_410_moves_its_updated_at(file_complaint, subscribe, receiver):
    sub = subscribe()
    file_complaint()
    long_ago = timezone.now() - timedelta(days=3)
    WebhookSubscription.objects.filter(pk=sub.pk).update(updated_at=long_ago)
    [row] = webhook_rows(sub)
    receiver.answer(410)
    before = timezone.now()
    assert delivery.deliver(row.pk) is False
    sub = refresh(sub)
    assert not sub.is_active
    assert sub.updated_at >= before
