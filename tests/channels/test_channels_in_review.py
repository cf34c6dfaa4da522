"""Source channels in the staff views: the queue's channel filter (web and API) and the dashboard's bars."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Channel

pytestmark = pytest.mark.django_db


def test_the_queue_filters_by_channel(client, make_user, file_complaint):
    by_bot = file_complaint(channel=Channel.TELEGRAM)
    on_web = file_complaint()
    client.force_login(make_user("coordinator"))
    page = client.get(reverse("web-queue"), {"channel": "telegram"}).content.decode()
    assert by_bot.code in page
    assert on_web.code not in page
    api = client.get("/api/v1/complaints/", {"channel": "telegram"}).json()
    assert [c["code"] for c in api["results"]] == [by_bot.code]
    refused = client.get("/api/v1/complaints/", {"channel": "pigeon"})
    assert refused.status_code == 400
    assert "channel" in refused.content.decode()


def test_the_dashboard_counts_complaints_by_channel(client, make_user, file_complaint):
    file_complaint(channel=Channel.TELEGRAM)
    file_complaint(channel=Channel.TELEGRAM)
    file_complaint()
    client.force_login(make_user("coordinator"))
    response = client.get(reverse("web-dashboard"))
    bars = {bar.href.rpartition("channel=")[2]: bar for bar in response.context["channel_chart"].bars}
    assert bars["telegram"].count == 2
    assert bars["web"].count == 1
    assert bars["telegram"].label == "Telegram"
    assert 'id="channel-h"' in response.content.decode()
