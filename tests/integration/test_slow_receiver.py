"""A webhook receiver that answers after 15 s, during a burst of filings: receipt emails keep their delivery time.

Issue 10: one slow receiver used to hold both worker processes (10 s per attempt) and
receipt emails waited 56 s. Now email and webhooks have queues and worker pools of their
own (run here as docker-compose.yml runs them: one worker per queue), webhook requests
time out after 3 s (connect) and 5 s (read), at most ``WEBHOOK_MAX_IN_FLIGHT`` attempts
per subscription are in flight, and a circuit breaker stops sending to a subscription
that keeps failing.

The same burst runs twice, without and with the slow receiver subscribed; the p95 of
the receipt emails' delay (filed -> handed to the SMTP server) is printed for both and
must stay comparable (at most twice, plus one second). So must the delay of webhooks to
a fast subscriber. ``SLOW_RECEIVER_BURST_SECONDS`` (default 20) sets the burst's length.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from complaints.models import OutboxChannel, OutboxMessage, OutboxStatus, WebhookSubscription
from tests.integration.conftest import PORT_BASE, CeleryProcesses, Live, port_open, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SLOW_PORT = PORT_BASE + 4
SLOW_SECONDS = 15.0
BURST_SECONDS = float(os.environ.get("SLOW_RECEIVER_BURST_SECONDS", "20"))
FILINGS_PER_SECOND = 4.0
# One worker per queue, with docker-compose.yml's default concurrency ("default" 1,
# "mail" 2, "webhooks" 4: twice the per-subscription cap of 2, so a slow receiver
# leaves half the webhook pool to the other subscribers).
POOLS = {"default": 1, "mail": 2, "webhooks": 4}


class SlowReceiver:
    """Accepts every POST and answers 200 after ``SLOW_SECONDS``: long after the sender gave up."""

    def __init__(self, port: int) -> None:
        self.requests = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    receiver.requests += 1
                time.sleep(SLOW_SECONDS)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender hung up long ago

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{port}/slow"
        threading.Thread(target=self.server.serve_forever, name="slow-receiver", daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_receiver() -> Iterator[SlowReceiver]:
    assert not port_open(SLOW_PORT), f"port {SLOW_PORT} is taken"
    receiver = SlowReceiver(SLOW_PORT)
    yield receiver
    receiver.stop()


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture
def pools(live: Live) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Replace the harness's one all-queues worker by one worker per queue."""
    from registry.celery import app

    shared = live.celery
    if shared.worker is not None:
        _terminate(shared.worker)
        shared.worker = None
    # A claim must outlive the slowest attempt (3 s + 5 s), or the sweeper hands rows out twice.
    env = {**shared.env, "OUTBOX_CLAIM_SECONDS": "20", "OUTBOX_DISPATCH_LEASE_SECONDS": "30"}
    spawner = CeleryProcesses(shared.workdir, shared.redis, env)
    started: dict[str, subprocess.Popen[bytes]] = {}
    names = {queue: f"itest-{queue}-{os.getpid()}@127.0.0.1" for queue in POOLS}
    try:
        for queue, concurrency in POOLS.items():
            started[queue] = spawner._spawn(
                [
                    "worker",
                    "-Q",
                    queue,
                    f"--concurrency={concurrency}",
                    f"--hostname={names[queue]}",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                ],
                f"worker-{queue}.log",
            )

        def all_answer() -> bool:
            for queue, process in started.items():
                assert process.poll() is None, f"the {queue} worker exited; see {shared.workdir}/worker-{queue}.log"
            replies = app.control.ping(destination=list(names.values()), timeout=0.5)
            return len(replies) == len(names)

        wait_for(all_answer, 60, "one worker per queue to answer a ping")
        yield started
    finally:
        for process in started.values():
            _terminate(process)
        # Leave the harness as we found it, while the test process still talks to its Redis.
        shared.start_worker()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def subscribe(live: Live, owner: Any, url: str, path: str | None = None) -> WebhookSubscription:
    sub = WebhookSubscription.objects.create(owner=owner, url=url)
    if path is not None:
        live.receiver.state.secrets[path] = [sub.secret]
    return sub


def burst(file_complaint: Any, tag: str) -> list[str]:
    """File complaints at FILINGS_PER_SECOND for BURST_SECONDS, each with an email; their codes."""
    codes = []
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < BURST_SECONDS:
        time.sleep(max(0.0, start + n / FILINGS_PER_SECOND - time.monotonic()))
        complaint = file_complaint(full_name=f"Reporter {tag} {n}", email=f"{tag}{n}@example.kz", language="ru")
        codes.append(complaint.code)
        n += 1
    return codes


def delays(rows: Any) -> list[float]:
    return [(m.delivered_at - m.created_at).total_seconds() for m in rows]


def run(live: Live, file_complaint: Any, tag: str, fast: WebhookSubscription) -> dict[str, Any]:
    codes = burst(file_complaint, tag)
    receipts = OutboxMessage.objects.filter(channel=OutboxChannel.EMAIL, complaint__code__in=codes)
    hooks = OutboxMessage.objects.filter(subscription=fast, complaint__code__in=codes)

    def done() -> bool:
        return not receipts.exclude(status=OutboxStatus.DELIVERED).exists() and not (
            hooks.exclude(status=OutboxStatus.DELIVERED).exists()
        )

    wait_for(done, 120, f"every receipt and fast webhook of the {tag} burst to be delivered", interval=0.25)
    assert receipts.count() == hooks.count() == len(codes)
    for n in range(len(codes)):
        assert len(live.mailbox.to(f"{tag}{n}@example.kz")) == 1, f"receipt {n} reached the SMTP server once"
    email = delays(receipts)
    webhook = delays(hooks)
    return {
        "filings": len(codes),
        "email_p95": p95(email),
        "email_max": max(email),
        "webhook_p95": p95(webhook),
        "webhook_max": max(webhook),
    }


def test_a_slow_receiver_does_not_delay_receipt_emails_or_other_subscribers(
    live: Live,
    pools: dict[str, subprocess.Popen[bytes]],
    slow_receiver: SlowReceiver,
    make_user: Any,
    file_complaint: Any,
) -> None:
    fast = subscribe(live, make_user("admin"), live.receiver.url + "/fast", "/fast")
    without = run(live, file_complaint, "calm", fast)

    slow = subscribe(live, make_user("admin"), slow_receiver.url)
    with_slow = run(live, file_complaint, "stormy", fast)
    slow.refresh_from_db()
    slow_rows = OutboxMessage.objects.filter(subscription=slow)
    report = {
        "burst_seconds": BURST_SECONDS,
        "without_slow_receiver": without,
        "with_slow_receiver": with_slow,
        "slow_receiver": {
            "requests_received": slow_receiver.requests,
            "rows": slow_rows.count(),
            "rows_pending": slow_rows.filter(status=OutboxStatus.PENDING).count(),
            "rows_lost": slow_rows.filter(status=OutboxStatus.SKIPPED).count(),
            "breaker_opened": slow.circuit_opens,
            "consecutive_failures": slow.consecutive_failures,
        },
    }
    print(
        f"\nreceipt email delay p95: {without['email_p95']:.3f} s without the slow receiver, "
        f"{with_slow['email_p95']:.3f} s with it ({without['filings']} and {with_slow['filings']} filings); "
        f"fast subscriber's webhooks p95: {without['webhook_p95']:.3f} s and {with_slow['webhook_p95']:.3f} s"
    )
    print(json.dumps(report, indent=2))
    (live.celery.workdir / "slow-receiver.json").write_text(json.dumps(report, indent=2))

    assert with_slow["email_p95"] <= 2 * without["email_p95"] + 1.0, report
    assert with_slow["webhook_p95"] <= 2 * without["webhook_p95"] + 1.0, report
    # The slow receiver was tried, then held back by its breaker; its rows wait, none is lost.
    assert slow_receiver.requests >= 1, report
    assert slow.circuit_opens >= 1, report
    assert report["slow_receiver"]["rows"] == with_slow["filings"]
    assert report["slow_receiver"]["rows_lost"] == 0, report
