"""GET /metrics: the Prometheus text format, for a scraper that holds METRICS_TOKEN.

Two parts in one answer:

- this node's process counters and histograms (complaints/metrics.py: requests, filings,
  deliveries, SLA breaches marked), summed over every gunicorn worker through
  PROMETHEUS_MULTIPROC_DIR when it is set (registry/gunicorn_conf.py sets it), else this
  process's own;
- gauges of the whole registry read at scrape time: the outbox backlog, its oldest row's age
  and dead letters per channel, complaints past their SLA, statutory deadlines overdue and
  missed (``complaints.selectors.metrics``, a few indexed aggregates), and the Celery queue
  lengths on the broker. They are computed at most once per METRICS_CACHE_SECONDS and kept
  in the cache, which several web nodes share when it is Redis.

Access: with METRICS_TOKEN set, only ``Authorization: Bearer <token>`` (else 401); without
it, only a direct request from the loopback interface (no proxy in between), else 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from complaints.selectors.metrics import MetricsSnapshot, metrics_snapshot
from registry.celery import queue_lengths

log = logging.getLogger(__name__)
CACHE_KEY = "metrics:snapshot:v1"
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _loopback_direct(request: HttpRequest) -> bool:
    if settings.TRUSTED_PROXY_COUNT or any(h in request.headers for h in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _bearer_ok(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode())


def _snapshot() -> dict[str, Any]:
    """The database and broker figures, cached briefly; a part that fails is left out and flagged down."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return dict(cached)
    figures: dict[str, Any] = {"database": None, "queues": None}
    try:
        figures["database"] = metrics_snapshot(now=timezone.now())
    except Exception as exc:
        log.warning("metrics: the database figures could not be read: %s", type(exc).__name__)
    try:
        figures["queues"] = queue_lengths(settings.CELERY_TASK_QUEUES)
    except Exception as exc:
        log.warning("metrics: the broker's queue lengths could not be read: %s", type(exc).__name__)
    cache.set(CACHE_KEY, figures, settings.METRICS_CACHE_SECONDS)
    return figures


def _gauge(name: str, documentation: str, labels: list[str], rows: list[tuple[list[str], float]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for values, value in rows:
        family.add_metric(values, value)
    return family


def _database_gauges(snap: MetricsSnapshot) -> Iterator[GaugeMetricFamily]:
    outbox = sorted(snap.outbox.items())
    yield _gauge(
        "registry_outbox_backlog",
        "Outbox rows not yet delivered (pending, due now or waiting for a retry), by channel.",
        ["channel"],
        [([channel], line.pending) for channel, line in outbox],
    )
    yield _gauge(
        "registry_outbox_due",
        "Pending outbox rows whose attempt is due now, by channel.",
        ["channel"],
        [([channel], line.due) for channel, line in outbox],
    )
    yield _gauge(
        "registry_outbox_oldest_pending_age_seconds",
        "Age of the oldest undelivered outbox row (0 when there is none), by channel.",
        ["channel"],
        [([channel], line.oldest_pending_age_seconds) for channel, line in outbox],
    )
    yield _gauge(
        "registry_outbox_dead_letters",
        "Outbox rows given up on (dead letters, to be replayed), by channel.",
        ["channel"],
        [([channel], line.dead) for channel, line in outbox],
    )
    yield _gauge(
        "registry_complaints_sla_overdue",
        "Open complaints past their review deadline (SLA) with the clock running.",
        [],
        [([], snap.sla_overdue)],
    )
    yield _gauge(
        "registry_complaints_sla_breached",
        "Open complaints marked as having breached their SLA.",
        [],
        [([], snap.sla_breached)],
    )
    yield _gauge(
        "registry_case_deadlines_overdue",
        "Running statutory deadlines (filing, answer, appeal) that are past due.",
        [],
        [([], snap.deadlines_overdue)],
    )
    yield _gauge(
        "registry_case_deadlines_missed",
        "Statutory deadlines marked as missed.",
        [],
        [([], snap.deadlines_missed)],
    )


class SnapshotCollector(Collector):
    """The scrape-time gauges, from ``_snapshot``."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = _snapshot()
        database: MetricsSnapshot | None = figures["database"]
        queues: dict[str, int] | None = figures["queues"]
        yield _gauge(
            "registry_metrics_source_up",
            "1 if the scrape could read the source (database, broker), 0 if not.",
            ["source"],
            [(["database"], database is not None), (["broker"], queues is not None)],
        )
        if database is not None:
            yield from _database_gauges(database)
        if queues:
            yield _gauge(
                "registry_celery_queue_length",
                "Tasks waiting on the broker, by Celery queue (Redis or the embedded SQLite broker).",
                ["queue"],
                [([queue], n) for queue, n in sorted(queues.items())],
            )


def process_registry() -> CollectorRegistry:
    """Every process's values when PROMETHEUS_MULTIPROC_DIR is set, else this process's registry."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if settings.METRICS_TOKEN:
        if not _bearer_ok(request):
            response = HttpResponse("A bearer token is needed: Authorization: Bearer <METRICS_TOKEN>.\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            response["Content-Type"] = "text/plain; charset=utf-8"
            return response
    elif not _loopback_direct(request):
        raise Http404
    snapshot = CollectorRegistry()
    snapshot.register(SnapshotCollector())
    body = generate_latest(process_registry()) + generate_latest(snapshot)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
