"""Webhook subscriptions belong to the API key that made them, and nothing goes to an owner who lost sight of it."""

from __future__ import annotations

from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from complaints import services
from complaints.errors import ReplayRefused
from complaints.models import ApiKey, OutboxChannel, OutboxMessage, OutboxStatus, WebhookDelivery, WebhookSubscription
from complaints.notifications import delivery, netguard
from tests.api.conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allow_private(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


def key_client(user, name="key"):
    key_row, key = ApiKey.objects.create_key(name=name, user=user)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    client.key_row = key_row  # type: ignore[attr-defined]
    return client


def dead_letter(sub, complaint=None, n=1):
    return OutboxMessage.objects.create(
        event_type="complaint.submitted",
        channel=OutboxChannel.WEBHOOK,
        complaint=complaint,
        subscription=sub,
        payload={"type": "complaint.submitted"},
        idempotency_key=f"msg_scope_{sub.pk}_{n}",
        status=OutboxStatus.DEAD,
        attempts=10,
        next_attempt_at=timezone.now(),
        last_error="HTTP 500",
    )


def test_a_second_key_of_the_same_account_does_not_see_the_first_keys_subscriptions(people):
    first, second = key_client(people["reviewer"], "first"), key_client(people["reviewer"], "second")
    created = first.post(f"{API}/webhooks/", {"url": "http://127.0.0.1:9/h"}, format="json").json()
    sub = WebhookSubscription.objects.get(pk=created["id"])
    assert sub.api_key_id == first.key_row.pk
    assert sub.owner == people["reviewer"]  # the user stays, for compatibility and the fan-out's access check
    WebhookDelivery.objects.create(subscription=sub, message=dead_letter(sub), attempt=1, status_code=500)
    assert second.get(f"{API}/webhooks/").json()["results"] == []
    for method, path in [
        ("get", f"/webhooks/{sub.pk}/"),
        ("patch", f"/webhooks/{sub.pk}/"),
        ("delete", f"/webhooks/{sub.pk}/"),
        ("post", f"/webhooks/{sub.pk}/rotate/"),
        ("get", f"/webhooks/{sub.pk}/deliveries/"),
    ]:
        assert getattr(second, method)(API + path, {}, format="json").status_code == 404, (method, path)
    assert second.get(f"{API}/webhooks/dead-letters/").json()["results"] == []
    message = OutboxMessage.objects.get(subscription=sub)
    assert second.post(f"{API}/webhooks/dead-letters/{message.pk}/replay/").status_code == 404
    # The first key still sees all of it.
    assert [s["id"] for s in first.get(f"{API}/webhooks/").json()["results"]] == [sub.pk]
    assert first.get(f"{API}/webhooks/{sub.pk}/deliveries/").json()["results"]
    assert [m["id"] for m in first.get(f"{API}/webhooks/dead-letters/").json()["results"]] == [message.pk]


def test_a_subscription_made_without_a_key_is_not_visible_to_the_accounts_keys(people):
    legacy = WebhookSubscription.objects.create(owner=people["reviewer"], url="https://old.example.org/h")
    client = key_client(people["reviewer"])
    assert client.get(f"{API}/webhooks/").json()["results"] == []
    assert client.get(f"{API}/webhooks/{legacy.pk}/").status_code == 404


def test_a_dead_letter_is_not_replayed_once_the_owner_cannot_see_the_complaint(people, observer_complaint, territory):
    client = key_client(people["reviewer"])
    sub_id = client.post(f"{API}/webhooks/", {"url": "http://127.0.0.1:9/h"}, format="json").json()["id"]
    sub = WebhookSubscription.objects.get(pk=sub_id)
    message = dead_letter(sub, observer_complaint)
    assert [m["id"] for m in client.get(f"{API}/webhooks/dead-letters/").json()["results"]] == [message.pk]
    people["reviewer"].profile.units.set([territory["ala"]])  # moved to another region
    people["reviewer"] = type(people["reviewer"]).objects.get(pk=people["reviewer"].pk)
    # Not listed (its code would tell the complaint exists), not replayable through the API...
    assert client.get(f"{API}/webhooks/dead-letters/").json()["results"] == []
    assert client.post(f"{API}/webhooks/dead-letters/{message.pk}/replay/").status_code == 404
    # ...nor by the service the admin uses.
    with pytest.raises(ReplayRefused, match="may no longer see"):
        services.outbox_replay(message=message)
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD


def test_a_webhook_is_not_delivered_once_the_owner_cannot_see_the_complaint(
    people, file_complaint, territory, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(netguard, "post", lambda *a, **kw: calls.append(a) or netguard.Response(200, {}))
    client = key_client(people["reviewer"])
    client.post(f"{API}/webhooks/", {"url": "http://127.0.0.1:9/h"}, format="json")
    # keep the rows pending
    with mock.patch("complaints.notifications.outbox.dispatch"), django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint()
    row = OutboxMessage.objects.get(complaint=complaint, channel=OutboxChannel.WEBHOOK)
    assert row.status == OutboxStatus.PENDING
    people["reviewer"].profile.units.set([territory["ala"]])  # lost sight of it before the send
    assert delivery.deliver(row.pk) is False
    row.refresh_from_db()
    assert row.status == OutboxStatus.SKIPPED
    assert "may no longer see" in row.last_error
    assert calls == []
    assert not row.deliveries.exists()


def test_a_webhook_of_a_revoked_key_is_not_delivered(
    people, file_complaint, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(netguard, "post", lambda *a, **kw: calls.append(a) or netguard.Response(200, {}))
    client = key_client(people["reviewer"])
    client.post(f"{API}/webhooks/", {"url": "http://127.0.0.1:9/h"}, format="json")
    with mock.patch("complaints.notifications.outbox.dispatch"), django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint()
    row = OutboxMessage.objects.get(complaint=complaint, channel=OutboxChannel.WEBHOOK)
    ApiKey.objects.filter(pk=client.key_row.pk).update(revoked=True)
    assert delivery.deliver(row.pk) is False
    row.refresh_from_db()
    assert row.status == OutboxStatus.SKIPPED
    assert calls == []


def test_a_revoked_keys_subscriptions_get_no_new_events(people, file_complaint):
    client = key_client(people["reviewer"])
    client.post(f"{API}/webhooks/", {"url": "http://127.0.0.1:9/h"}, format="json")
    ApiKey.objects.filter(pk=client.key_row.pk).update(revoked=True)
    complaint = file_complaint()
    assert not OutboxMessage.objects.filter(complaint=complaint, channel=OutboxChannel.WEBHOOK).exists()


def test_a_webhook_still_visible_is_delivered(people, file_complaint, monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr(netguard, "post", lambda *a, **kw: calls.append(a) or netguard.Response(200, {}))
    client = key_client(people["reviewer"])
    client.post(f"{API}/webhooks/", {"url": "http://127.0.0.1:9/h"}, format="json")
    with mock.patch("complaints.notifications.outbox.dispatch"), django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint()
    row = OutboxMessage.objects.get(complaint=complaint, channel=OutboxChannel.WEBHOOK)
    assert delivery.deliver(row.pk) is True
    assert len(calls) == 1
