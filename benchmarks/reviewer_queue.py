"""Reviewer queue: a reviewer's filtered first page of 50, over a large table, from several clients.

Targets: p95 < 50 ms and >= 150 pages/s with BENCH_COMPLAINTS complaints loaded
(default 1,000,000: generated once by ``manage.py generate_complaints``, reused afterwards).
"""

from __future__ import annotations

import time

from benchmarks import common, data

# The two targets fix the concurrency: at 150 pages/s a p95 under 50 ms needs a mean near
# 30 ms, i.e. about 150 x 0.03 = 5 requests in flight (Little's law). More clients only queue.
CLIENTS = common.env_int("BENCH_QUEUE_CLIENTS", 5)
SECONDS = common.env_int("BENCH_SECONDS", 20)
QUERY = "/api/v1/complaints/?status=submitted&status=triaged&status=under_review&page_size=50"


def ensure_complaints(wanted: int) -> str:
    from django.db import connection

    from complaints.models import Complaint

    have = Complaint.objects.count()
    if have >= wanted:
        return f"reused {have:,} complaints already loaded"
    started = time.monotonic()
    common.manage("generate_complaints", "--count", str(wanted - have), "--seed", "2011")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return f"generated {wanted - have:,} complaints in {time.monotonic() - started:.0f} s (now {wanted:,})"


def run(port: int) -> common.Result:
    from complaints.models import TerritorialUnit, UnitLevel

    note = ensure_complaints(common.env_int("BENCH_COMPLAINTS", 1_000_000))
    region = TerritorialUnit.objects.filter(level=UnitLevel.REGION).order_by("code").first()
    reviewer = data.service_user("bench-reviewer", "reviewer", [region] if region else [])
    key = data.api_key(reviewer, "bench queue")
    headers = {"Authorization": f"Api-Key {key}"}

    def one(client: int, n: int) -> tuple[int, bytes, float]:
        return common.request("GET", port, QUERY, headers=headers)

    with common.gunicorn(port) as server:
        common.run_load(4, 2, one)  # warm up every worker and the database cache
        meter = common.CpuMeter(server)
        with meter.measure():
            load = common.run_load(CLIENTS, SECONDS, one)
    errors = len(load.errors) + sum(n for status, n in load.statuses.items() if status != 200)
    result = common.Result("reviewer_queue")
    result.figures = [
        common.Figure("pages of 50 per second", load.count / load.elapsed, "/s", 150),
        common.Figure("latency p50", load.median(), "ms"),
        common.Figure("latency p95", load.percentile(95), "ms", 50, higher_is_better=False),
        common.Figure("latency p99", load.percentile(99), "ms"),
        common.Figure("errors", errors, "", 1, higher_is_better=False),
        *meter.figures(load.count, "page"),
    ]
    scope = region.code if region else "everywhere"
    result.notes = [
        note,
        f"{CLIENTS} clients x {SECONDS} s, {common.server_description()}, reviewer scoped to {scope}: GET {QUERY}",
        meter.note(),
        *load.errors[:5],
    ]
    return result
