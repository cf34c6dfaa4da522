"""API filing: 16 clients POST complaints with their own API keys for ~20 s.

Targets: >= 300 complaints/s, p99 < 250 ms, no errors, and the database holds exactly
one complaint per 201 answer (an Idempotency-Key is sent with each, as a careful client would).
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from benchmarks import common, data

CLIENTS = common.env_int("BENCH_FILING_CLIENTS", 16)
SECONDS = common.env_int("BENCH_SECONDS", 20)
DESCRIPTION = "Директор школы №5 требует от учителей сфотографировать бюллетень и прислать ему снимок."


def run(port: int) -> common.Result:
    from django.utils import timezone

    from complaints.models import Complaint

    choices = data.filing_choices()
    keys = [
        data.api_key(data.service_user(f"bench-client-{i}", "observer"), f"bench filing {i}") for i in range(CLIENTS)
    ]
    occurred = (timezone.now() - timedelta(minutes=30)).isoformat()
    rng = random.Random(42)
    bodies = [
        {
            "election": choices["election"],
            "category": rng.choice(choices["categories"]),
            "polling_station": rng.choice(choices["stations"]),
            "occurred_at": occurred,
            "description": DESCRIPTION,
            "full_name": "Наблюдатель",
        }
        for _ in range(500)
    ]

    def one(client: int, n: int) -> tuple[int, bytes, float]:
        headers = {"Authorization": f"Api-Key {keys[client]}", "Idempotency-Key": str(uuid.uuid4())}
        return common.request("POST", port, "/api/v1/complaints/", bodies[(client * 31 + n) % len(bodies)], headers)

    with common.gunicorn(port) as server:
        common.run_load(4, 2, one)  # warm up every worker
        before = Complaint.objects.count()
        meter = common.CpuMeter(server)
        with meter.measure():
            load = common.run_load(CLIENTS, SECONDS, one)
    created = Complaint.objects.count() - before
    ok = load.statuses.get(201, 0)
    errors = len(load.errors) + sum(n for status, n in load.statuses.items() if status != 201)
    result = common.Result("api_filing")
    result.figures = [
        common.Figure("complaints filed per second", ok / load.elapsed, "/s", 300),
        common.Figure("latency p50", load.median(), "ms"),
        common.Figure("latency p95", load.percentile(95), "ms"),
        common.Figure("latency p99", load.percentile(99), "ms", 250, higher_is_better=False),
        common.Figure("errors", errors, "", 1, higher_is_better=False),
        common.Figure("rows created minus 201s", abs(created - ok), "", 1, higher_is_better=False),
        # Independent of other load on the machine: what one filing costs.
        *meter.figures(load.count, "complaint"),
    ]
    result.notes = [
        f"{CLIENTS} clients x {SECONDS} s, {common.server_description()}: {ok} x 201, {created} rows",
        meter.note(),
        *load.errors[:5],
    ]
    return result
