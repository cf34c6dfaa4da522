from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from complaints.errors import UnsafeWebhookURL
from complaints.models import OutboxChannel, OutboxMessage, OutboxStatus, WebhookDelivery, WebhookSubscription
from complaints.notifications.netguard import check_webhook_url
from complaints.services import ServiceError
from tests.api.conftest import API, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


def fake_dns(address):
    return mock.patch("socket.getaddrinfo", return_value=[(2, 1, 6, "", (address, 443))])


def test_subscription_crud_and_secret_shown_once(client_for, people, allow_private):
    client = client_for(people["reviewer"])
    response = client.post(
        f"{API}/webhooks/",
        {"url": "https://hq.example.org/hook", "event_types": ["complaint.submitted"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_")
    sub_url = f"{API}/webhooks/{created['id']}/"
    assert "secret" not in client.get(sub_url).json()
    assert [s["id"] for s in client.get(f"{API}/webhooks/").json()["results"]] == [created["id"]]
    response = client.patch(sub_url, {"is_active": False, "event_types": []}, format="json")
    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["event_types"]) == (False, [])
    assert client.delete(sub_url).status_code == 204
    assert client.get(sub_url).status_code == 404


def test_other_clients_subscriptions_are_404(client_for, people, allow_private):
    owner, other = client_for(people["reviewer"]), client_for(people["coordinator"])
    sub = owner.post(f"{API}/webhooks/", {"url": "https://a.example.org/h"}, format="json").json()
    for method, path in [
        ("get", f"/webhooks/{sub['id']}/"),
        ("patch", f"/webhooks/{sub['id']}/"),
        ("delete", f"/webhooks/{sub['id']}/"),
        ("post", f"/webhooks/{sub['id']}/rotate/"),
        ("get", f"/webhooks/{sub['id']}/deliveries/"),
    ]:
        response = getattr(other, method)(API + path, {}, format="json")
        assert response.status_code == 404, (method, path)
    assert other.get(f"{API}/webhooks/").json()["results"] == []
    assert WebhookSubscription.objects.filter(pk=sub["id"]).exists()


def test_rotation_keeps_the_previous_secret_for_the_overlap(client_for, people, allow_private, settings):
    settings.WEBHOOK_SECRET_OVERLAP_HOURS = 6
    client = client_for(people["reviewer"])
    sub = client.post(f"{API}/webhooks/", {"url": "https://a.example.org/h"}, format="json").json()
    response = client.post(f"{API}/webhooks/{sub['id']}/rotate/")
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"] != sub["secret"]
    row = WebhookSubscription.objects.get(pk=sub["id"])
    assert row.previous_secret == sub["secret"]
    expected = timezone.now() + timedelta(hours=6)
    assert abs((row.previous_secret_expires_at - expected).total_seconds()) < 60


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/x", "javascript:alert(1)", "https://user:pw@example.org/", "http:///nohost"],
)
def test_invalid_webhook_urls_are_400(client_for, people, url):
    response = client_for(people["reviewer"]).post(f"{API}/webhooks/", {"url": url}, format="json")
    assert response.status_code == 400
    assert "url" in error_of(response)["fields"]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "192.168.1.1", "169.254.169.254", "::1", "fd00::1"])
def test_private_addresses_are_refused(address, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with fake_dns(address), pytest.raises(UnsafeWebhookURL) as caught:
        check_webhook_url("https://looks-public.example.org/hook")
    assert isinstance(caught.value, ServiceError)
    assert address in caught.value.message


def test_public_address_is_accepted_and_private_allowed_by_setting(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with fake_dns("93.184.216.34"):
        check_webhook_url("https://example.org/hook")
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    check_webhook_url("http://127.0.0.1:8130/hook")


def test_private_url_via_api_is_400(client_for, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with fake_dns("127.0.0.1"):
        response = client_for(people["reviewer"]).post(
            f"{API}/webhooks/", {"url": "https://internal.example.org/"}, format="json"
        )
    assert response.status_code == 400
    assert error_of(response)["fields"]["url"][0]["code"] == "unsafe_url"


def _message(sub, status=OutboxStatus.DEAD, n=1):
    return OutboxMessage.objects.create(
        event_type="complaint.submitted",
        channel=OutboxChannel.WEBHOOK,
        subscription=sub,
        payload={"type": "complaint.submitted"},
        idempotency_key=f"msg_test_{sub.pk}_{n}",
        status=status,
        attempts=10,
        next_attempt_at=timezone.now(),
        last_error="HTTP 500",
    )


def test_delivery_log_and_dead_letter_replay(client_for, people, allow_private):
    owner, other = client_for(people["reviewer"]), client_for(people["coordinator"])
    sub_id = owner.post(f"{API}/webhooks/", {"url": "https://a.example.org/h"}, format="json").json()["id"]
    sub = WebhookSubscription.objects.get(pk=sub_id)
    dead = _message(sub)
    _message(sub, status=OutboxStatus.DELIVERED, n=2)
    WebhookDelivery.objects.create(subscription=sub, message=dead, attempt=1, status_code=500, latency_ms=12)
    log = owner.get(f"{API}/webhooks/{sub_id}/deliveries/").json()["results"]
    assert [(d["status_code"], d["event_type"]) for d in log] == [(500, "complaint.submitted")]
    assert [m["id"] for m in owner.get(f"{API}/webhooks/dead-letters/").json()["results"]] == [dead.pk]
    assert other.get(f"{API}/webhooks/dead-letters/").json()["results"] == []
    assert other.post(f"{API}/webhooks/dead-letters/{dead.pk}/replay/").status_code == 404
    with (
        mock.patch("complaints.services.webhooks.dispatch") as dispatch,
        mock.patch("django.db.transaction.on_commit", side_effect=lambda fn, **kw: fn()),
    ):
        response = owner.post(f"{API}/webhooks/dead-letters/{dead.pk}/replay/")
    assert response.status_code == 202, response.content
    dispatch.assert_called_once_with([dead.pk])
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == (OutboxStatus.PENDING, 0)
    assert owner.post(f"{API}/webhooks/dead-letters/{dead.pk}/replay/").status_code == 404
