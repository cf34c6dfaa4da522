"""The fan-out costs a constant number of queries, however many webhook subscriptions there are."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints import services
from complaints.models import OutboxChannel, OutboxMessage, WebhookSubscription

pytestmark = pytest.mark.django_db


def subscribe(make_user: Any, territory: dict[str, Any], n: int) -> None:
    for i in range(n):
        owner = make_user("reviewer", units=[territory["pav"]], username=f"client{i}")
        WebhookSubscription.objects.create(owner=owner, url=f"https://hooks{i}.example.org/h")


def queries(fn: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def cost_of_a_filing_and_a_substantiate(file_complaint: Any, reviewer: Any) -> tuple[int, int]:
    holder: dict[str, Any] = {}
    filing = queries(lambda: holder.setdefault("c", file_complaint()))
    complaint = holder["c"]
    for action in ("triage", "start_review"):
        complaint = services.complaint_transition(complaint=complaint, action=action, actor=reviewer)
    substantiate = queries(
        lambda: services.complaint_transition(complaint=complaint, action="substantiate", actor=reviewer)
    )
    return filing, substantiate


def test_five_subscriptions_cost_at_most_two_queries_more_than_none(
    make_user, territory, file_complaint, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    reviewer = make_user("reviewer", units=[territory["pav"]], username="rev")
    baseline = cost_of_a_filing_and_a_substantiate(file_complaint, reviewer)
    subscribe(make_user, territory, 5)
    with_five = cost_of_a_filing_and_a_substantiate(file_complaint, reviewer)
    # submitted, triage, start_review, and substantiate (status_changed + decided), to each of 5
    assert OutboxMessage.objects.filter(channel=OutboxChannel.WEBHOOK).count() == 5 * 5
    assert with_five[0] <= baseline[0] + 2, (baseline, with_five)
    assert with_five[1] <= baseline[1] + 2, (baseline, with_five)
