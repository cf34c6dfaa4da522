"""Notification throughput and commit-to-delivery latency, with 2 worker processes.

Real processes on 127.0.0.1: PostgreSQL (a fresh database, dropped afterwards), a
redis-server of its own, one ``celery -A registry worker --concurrency=2`` (two pool
processes), and the verifying webhook receiver of the integration tests in its own
process. Two measurements:

- latency, idle: complaints filed one at a time (10 per second) through the real
  service; each one's webhook is timed from the event's timestamp (taken inside the
  filing transaction, so a little before the commit) to its arrival at the receiver.
  Target: p95 < 1 s.
- throughput: N webhook rows committed at once and handed to the workers; deliveries
  per second from the first publish to the last arrival. Target: >= 200/s.

    python benchmarks/bench_notifications.py [--deliveries 2000] [--samples 100]

Needs PostgreSQL (BENCH_DATABASE_URL, else DATABASE_URL's server, else
postgres://postgres@127.0.0.1:5432) and ``redis-server`` on PATH. Ports: BENCH_PORT_BASE
(default 8150) for Redis, +1 for the receiver. Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

THROUGHPUT_TARGET = 200.0  # deliveries per second
LATENCY_P95_TARGET = 1.0  # seconds


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def database_urls() -> tuple[str, str, str]:
    """(URL of the bench database, URL of the maintenance database, bench database name)."""
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = "postgres://postgres@127.0.0.1:5432/registry"
    parts = urlsplit(base)
    name = (parts.path.lstrip("/") or "registry") + "_bench_notifications"
    return urlunsplit(parts._replace(path=f"/{name}")), urlunsplit(parts._replace(path="/postgres")), name


def recreate_database(maintenance_url: str, name: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


class Processes:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def stats(receiver_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{receiver_url}/stats", timeout=5) as response:  # noqa: S310 - local receiver
        return json.load(response)  # type: ignore[no-any-return]


def cpu_seconds() -> dict[str, float]:
    """CPU time so far of the processes in play, by role (Linux /proc; empty elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    totals: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        role = next(
            (
                name
                for name, marker in (
                    ("worker", "celery -A registry worker"),
                    ("receiver", "receiver.py"),
                    ("redis", "redis-server 127.0.0.1"),
                    ("postgres", "_bench_notifications"),
                    ("bench (publisher)", "bench_notifications.py"),
                )
                if marker in cmdline
            ),
            None,
        )
        if role == "worker":
            parent = Path(f"/proc/{fields[1]}/cmdline")
            role = "worker pool" if parent.exists() and b"registry\0worker" in parent.read_bytes() else "worker main"
        if role:
            totals[role] = totals.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return totals


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def setup_data() -> tuple[dict[str, Any], Any]:
    """A territory, election, category and an admin's webhook subscription."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from complaints.models import (
        Category,
        Election,
        ElectionKind,
        ElectionStatus,
        PollingStation,
        TerritorialUnit,
        UnitLevel,
        WebhookSubscription,
    )

    kz = TerritorialUnit.objects.create(code="kz", level=UnitLevel.COUNTRY, name_ru="Казахстан")
    region = TerritorialUnit.objects.create(parent=kz, code="pav", level=UnitLevel.REGION, name_ru="Павлодар")
    station = PollingStation.objects.create(unit=region, number="512", address="школа №5")
    election = Election.objects.create(
        slug="bench",
        name_ru="Выборы",
        kind=ElectionKind.PRESIDENTIAL,
        voting_day=timezone.localdate(),
        status=ElectionStatus.ACTIVE,
    )
    category = Category.objects.create(code="vote_buying", name_ru="Подкуп", default_severity=3)
    owner = get_user_model().objects.create_user(username="bench-client", password=None)
    owner.groups.add(Group.objects.get(name="admin"))
    subscription = WebhookSubscription(owner=owner)  # saved once the receiver's URL is known
    return {"election": election, "category": category, "polling_station": station}, subscription


def measure_latency(place: dict[str, Any], receiver_url: str, samples: int) -> list[float]:
    from django.utils import timezone

    from complaints import services

    for _ in range(samples):
        services.complaint_file(
            **place,
            occurred_at=timezone.now() - timedelta(minutes=5),
            description="Раздавали продуктовые наборы у входа на участок.",
            anonymous=True,
        )
        time.sleep(0.1)
    result = wait_for(lambda: (s := stats(receiver_url))["processed"] >= samples and s, 60, "latency deliveries")
    return list(result["latencies"])


def measure_throughput(place: dict[str, Any], subscription: Any, receiver_url: str, count: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from complaints import services
    from complaints.models import OutboxChannel, OutboxMessage
    from complaints.notifications.outbox import dispatch, webhook_payload

    complaint = services.complaint_file(
        **place,
        occurred_at=timezone.now() - timedelta(minutes=5),
        description="Карусельное голосование на участке.",
        anonymous=True,
    ).complaint
    before = wait_for(lambda: (s := stats(receiver_url))["processed"] > 0 and s, 30, "the filing's webhook")
    with transaction.atomic():
        rows = OutboxMessage.objects.bulk_create(
            OutboxMessage(
                event_type="complaint.status_changed",
                complaint=complaint,
                channel=OutboxChannel.WEBHOOK,
                subscription=subscription,
                payload=webhook_payload(complaint, "complaint.status_changed"),
                idempotency_key=f"msg_bench_{n}",
                next_attempt_at=timezone.now(),
            )
            for n in range(count)
        )
    ids = [row.pk for row in rows]
    cpu_before = cpu_seconds()
    started = time.time()
    dispatch(ids)
    target = before["processed"] + count
    final = wait_for(lambda: (s := stats(receiver_url))["processed"] >= target and s, 300, "all deliveries")
    cpu = {role: (spent - cpu_before.get(role, 0.0)) * 1000 / count for role, spent in cpu_seconds().items()}
    print("CPU ms per delivery: " + ", ".join(f"{role} {ms:.2f}" for role, ms in sorted(cpu.items())))
    return count / (final["last"] - started)


def run(args: argparse.Namespace, workdir: Path, procs: Processes) -> int:
    bench_url, maintenance_url, db_name = database_urls()
    redis_port, receiver_port = args.port_base, args.port_base + 1
    for port in (redis_port, receiver_port):
        if port_open(port):
            raise SystemExit(f"port {port} is taken; set BENCH_PORT_BASE to a free range")
    redis = shutil.which("redis-server")
    if redis is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    recreate_database(maintenance_url, db_name)
    procs.spawn(
        [redis, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        os.environ.copy(),
        workdir / "redis.log",
    )
    wait_for(lambda: port_open(redis_port), 10, "redis-server")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DATABASE_URL": bench_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "SECRET_KEY": "bench-only",
        "VAR_DIR": str(workdir / "var"),
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "false",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from registry.celery import app

    place, subscription = setup_data()
    subscription.url = f"http://127.0.0.1:{receiver_port}/hook"
    subscription.save()
    receiver = [sys.executable, str(ROOT / "tests/integration/receiver.py"), "--port", str(receiver_port)]
    procs.spawn([*receiver, "--secret", subscription.secret], env, workdir / "receiver.log")
    wait_for(lambda: port_open(receiver_port), 10, "the receiver")
    loglevel = os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING")
    worker = [sys.executable, "-m", "celery", "-A", "registry", "worker", "--concurrency=2", f"--loglevel={loglevel}"]
    procs.spawn([*worker, "--hostname=bench@127.0.0.1", "--without-gossip", "--without-mingle"], env, workdir / "w.log")
    wait_for(lambda: app.control.ping(destination=["bench@127.0.0.1"], timeout=0.5), 60, "the worker")

    latencies = measure_latency(place, f"http://127.0.0.1:{receiver_port}", args.samples)
    rate = measure_throughput(place, subscription, f"http://127.0.0.1:{receiver_port}", args.deliveries)
    p50, p95, worst = (percentile(latencies, q) * 1000 for q in (0.5, 0.95, 1.0))
    rate_ok, latency_ok = rate >= THROUGHPUT_TARGET, p95 < LATENCY_P95_TARGET * 1000
    print(
        f"notification throughput: {rate:.0f} webhook deliveries/s ({args.deliveries} rows, 2 worker processes) "
        f"target >= {THROUGHPUT_TARGET:.0f}/s: {'PASS' if rate_ok else 'FAIL'}"
    )
    print(
        f"commit-to-delivery latency (idle, {len(latencies)} filings): p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"max {worst:.0f} ms; target p95 < {LATENCY_P95_TARGET * 1000:.0f} ms: {'PASS' if latency_ok else 'FAIL'}"
    )
    from django.db import connections

    connections.close_all()
    recreate_database(maintenance_url, db_name, drop_only=True)
    return 0 if rate_ok and latency_ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("BENCH_PORT_BASE", "8150")))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    procs = Processes()
    try:
        return run(args, workdir, procs)
    finally:
        procs.stop()
        if os.environ.get("BENCH_KEEP_LOGS"):
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
