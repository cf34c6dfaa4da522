"""kill -9 of the worker during a webhook request: the cut-off attempt is in the delivery log.

Issue 10: a send cut off by ``kill -9`` was missing from the log (1 attempt logged, 2
received). The attempt is now written, and committed, before the request goes out.
"""

from __future__ import annotations

from typing import Any

import pytest

from complaints.models import OutboxMessage, OutboxStatus, WebhookDelivery, WebhookDeliveryState, WebhookSubscription
from tests.integration.conftest import Live, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_every_request_a_receiver_saw_is_in_the_delivery_log_after_kill_9(
    live: Live, make_user: Any, file_complaint: Any
) -> None:
    sub = WebhookSubscription.objects.create(owner=make_user("admin"), url=live.receiver.url + "/hook")
    live.receiver.state.secrets["/hook"] = [sub.secret]
    live.receiver.state.delay = 2.0  # the request is in flight long enough to kill the worker
    complaint = file_complaint()
    message = OutboxMessage.objects.get(complaint=complaint, subscription=sub)
    log = WebhookDelivery.objects.filter(message=message)
    wait_for(lambda: log.filter(state=WebhookDeliveryState.SENDING).exists(), 30, "the attempt to start")
    live.celery.kill_worker()
    live.celery.start_worker()

    wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == OutboxStatus.DELIVERED, 60, "the resend")
    wait_for(lambda: len(live.receiver.state.requests) >= 2, 10, "the receiver to finish both requests")
    received = [r.webhook_id for r in live.receiver.state.requests]
    logged = list(log.order_by("attempt").values_list("attempt", "state"))
    print(f"\nreceived {len(received)}, logged {logged}")
    assert received == [message.idempotency_key] * 2
    assert logged == [(1, WebhookDeliveryState.INTERRUPTED), (2, WebhookDeliveryState.DELIVERED)]
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 2
