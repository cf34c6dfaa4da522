"""The Prometheus counters and histograms each process keeps; one place names them all.

Incremented where the thing happens (a request, a committed filing, a delivery attempt, a
marked SLA breach). Under gunicorn and Celery's prefork pool every process writes its own
values to PROMETHEUS_MULTIPROC_DIR and the scrape sums them (registry/metrics.py,
docs/operations.md). Gauges that describe the database (outbox backlog, dead letters,
overdue complaints and deadlines) are read at scrape time instead, by
``complaints.selectors.metrics``.

Labels are small closed sets (channels, outcomes, route names, status codes): never a
receipt code, an id, a path or an address.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "registry_http_requests",
    "HTTP requests answered, by method, route name and status code.",
    ["method", "view", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "registry_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response is returned to the server), by method and route name.",
    ["method", "view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
FILINGS = Counter(
    "registry_filings",
    "Complaints filed (counted after the filing committed), by channel: web, api, admin, import.",
    ["channel"],
)
DELIVERIES = Counter(
    "registry_deliveries",
    "Outbox delivery attempts, by channel (email, webhook) and outcome: delivered, failed (retried later), "
    "dead (given up: a dead letter), skipped (nobody to tell any more).",
    ["channel", "outcome"],
)
SLA_BREACHES = Counter(
    "registry_sla_breaches",
    "Complaints marked as past their review deadline (SLA) by the periodic check.",
)
