"""GET /metrics: who may read it, and what it says after real filings, requests and deliveries."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from complaints.models import OutboxChannel, OutboxMessage, OutboxStatus
from registry.logs import RECEIPT_CODE_RE
from tests.api.conftest import API

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-for-tests-0123456789"


def scrape(client: Any, **headers: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def token(settings: Any) -> str:
    settings.METRICS_TOKEN = TOKEN
    cache.delete("metrics:snapshot:v1")
    return TOKEN


def test_with_a_token_set_only_the_bearer_of_it_reads_the_metrics(client: Any, token: str) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics")["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Api-Key {token}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_without_a_token_only_a_direct_loopback_request_reads_them(client: Any, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    settings.TRUSTED_PROXY_COUNT = 1  # behind a proxy every request may come from loopback
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    settings.TRUSTED_PROXY_COUNT = 0
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def _web_form(election: Any, category: Any) -> dict[str, Any]:
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    return {
        "election": election.pk,
        "category": category.pk,
        "station": "512",
        "polling_station": "",
        "region": "",
        "place_text": "",
        "occurred_at": occurred,
        "description": "Директор школы требует от учителей фотографию бюллетеня.",
        "identity": "anonymous",
        "full_name": "",
        "email": "",
        "phone": "",
    }


def test_filings_are_counted_by_channel_and_requests_by_route_never_by_code(
    client: Any,
    anon: Any,
    token: str,
    filing_payload: Any,
    election: Any,
    category: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        filed = anon.post(f"{API}/complaints/", filing_payload(), format="json")
        assert filed.status_code == 201, filed.content[:300]
        posted = client.post(reverse("web-file"), _web_form(election, category))
        assert posted.status_code == 302, posted.content[:300]
    code = filed.json()["code"]
    looked_up = anon.get(f"{API}/complaints/{code}/")  # a path with a code in it: its route is counted
    cache.delete("metrics:snapshot:v1")
    after = scrape(client)

    assert (
        value(after, "registry_filings_total", channel="api")
        == value(before, "registry_filings_total", channel="api") + 1
    )
    assert (
        value(after, "registry_filings_total", channel="web")
        == value(before, "registry_filings_total", channel="web") + 1
    )
    filed_route = {"method": "POST", "view": "api-complaints", "status": "201"}
    assert value(after, "registry_http_requests_total", **filed_route) == (
        value(before, "registry_http_requests_total", **filed_route) + 1
    )
    web_route = {"method": "POST", "view": "web-file", "status": "302"}
    assert value(after, "registry_http_requests_total", **web_route) >= 1
    assert value(after, "registry_http_request_duration_seconds_count", method="POST", view="web-file") >= 1
    looked_up_view = {
        dict(labels)["view"]
        for (name, labels), _ in after.items()
        if name == "registry_http_requests_total"
        and dict(labels)["status"] == str(looked_up.status_code)
        and dict(labels)["method"] == "GET"
    }
    assert looked_up_view, "the lookup by code was counted under its route"
    # Two pending emails-or-webhooks at most, none dead; the new complaints' SLA clocks run and are not due.
    assert value(after, "registry_metrics_source_up", source="database") == 1
    assert value(after, "registry_complaints_sla_overdue") == 0
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").content.decode()
    assert code not in text
    assert code.lower() not in text
    assert not RECEIPT_CODE_RE.search(text)
    for name, labels in after:
        for label_value in dict(labels).values():
            assert not re.search(r"/|\d{3,}-", label_value), (name, labels)


def test_the_outbox_sla_and_deadline_gauges_read_the_database(
    client: Any, token: str, file_complaint: Any, election: Any
) -> None:
    late = file_complaint()
    late.due_at = timezone.now() - timedelta(hours=2)
    late.save(update_fields=["due_at"])
    breached = file_complaint()
    breached.sla_breached_at = timezone.now()
    breached.save(update_fields=["sla_breached_at"])
    OutboxMessage.objects.all().delete()
    old = timezone.now() - timedelta(minutes=10)
    for status, channel in (
        (OutboxStatus.PENDING, OutboxChannel.WEBHOOK),
        (OutboxStatus.PENDING, OutboxChannel.WEBHOOK),
        (OutboxStatus.DEAD, OutboxChannel.EMAIL),
        (OutboxStatus.DELIVERED, OutboxChannel.EMAIL),
    ):
        row = OutboxMessage.objects.create(
            event_type="complaint.submitted",
            channel=channel,
            status=status,
            idempotency_key=f"k-{OutboxMessage.objects.count()}",
            next_attempt_at=old,
            complaint=late,
        )
        OutboxMessage.objects.filter(pk=row.pk).update(created_at=old)
    samples = scrape(client)
    assert value(samples, "registry_outbox_backlog", channel="webhook") == 2
    assert value(samples, "registry_outbox_due", channel="webhook") == 2
    assert value(samples, "registry_outbox_backlog", channel="email") == 0
    assert 590 <= value(samples, "registry_outbox_oldest_pending_age_seconds", channel="webhook") <= 900
    assert value(samples, "registry_outbox_dead_letters", channel="email") == 1
    assert value(samples, "registry_outbox_dead_letters", channel="webhook") == 0
    assert value(samples, "registry_complaints_sla_overdue") == 1
    assert value(samples, "registry_complaints_sla_breached") == 1
    assert value(samples, "registry_case_deadlines_overdue") == 0


def test_the_database_figures_are_cached_briefly(client: Any, token: str, django_assert_max_num_queries: Any) -> None:
    scrape(client)
    with django_assert_max_num_queries(0):
        scrape(client)


def test_deliveries_are_counted_by_channel_and_outcome(client: Any, token: str, file_complaint: Any) -> None:
    from complaints.notifications import delivery

    complaint = file_complaint(full_name="Айгуль", email="aigul@example.org")
    [receipt] = OutboxMessage.objects.filter(complaint=complaint, channel=OutboxChannel.EMAIL)
    broken = OutboxMessage.objects.create(  # no audience: no template, given up at once
        event_type="complaint.submitted",
        channel=OutboxChannel.EMAIL,
        recipient="someone@example.org",
        idempotency_key="delivery-count",
        next_attempt_at=timezone.now() - timedelta(seconds=1),
        complaint=complaint,
    )
    before = scrape(client)
    assert delivery.deliver(receipt.pk)
    assert not delivery.deliver(broken.pk)
    after = scrape(client)
    for outcome in ("delivered", "dead"):
        labels = {"channel": "email", "outcome": outcome}
        assert (
            value(after, "registry_deliveries_total", **labels)
            == value(before, "registry_deliveries_total", **labels) + 1
        )
