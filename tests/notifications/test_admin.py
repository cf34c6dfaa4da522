"""The admin shows dead letters and replays them; it rotates webhook secrets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import OutboxMessage, OutboxStatus, WebhookSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static(settings) -> None:
    """The admin's pages link static files; tests don't run collectstatic for the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def dead_hook(file_complaint, subscribe, receiver) -> OutboxMessage:
    subscribe()
    complaint = file_complaint()
    row = OutboxMessage.objects.get(complaint=complaint, channel="webhook")
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.DEAD, attempts=10, last_error="HTTP 503")
    return row


def test_dead_letters_are_listed_and_replayed_from_the_admin(
    admin_client, dead_hook, receiver, django_capture_on_commit_callbacks
):
    url = reverse("admin:complaints_outboxmessage_changelist")
    listing = admin_client.get(url, {"status__exact": "dead"})
    assert listing.status_code == 200
    assert f">{dead_hook.pk}<" in listing.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"action": "replay", "_selected_action": [dead_hook.pk]}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200
    assert "1 notification queued again." in response.content.decode()
    dead_hook.refresh_from_db()
    assert dead_hook.status == OutboxStatus.DELIVERED
    assert receiver.ids() == [dead_hook.idempotency_key]


def test_secret_rotation_from_the_admin_shows_the_new_secret_once(admin_client, subscribe):
    sub = subscribe()
    old = sub.secret
    url = reverse("admin:complaints_webhooksubscription_changelist")
    response = admin_client.post(
        url, {"action": "rotate_secret", "_selected_action": [sub.pk]}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    sub = WebhookSubscription.objects.get(pk=sub.pk)
    assert sub.secret != old
    assert sub.previous_secret == old
    assert sub.secret in response.content.decode()
