"""Channels in the exports (queue CSV/XLSX and the API) and in the public statistics, under the floor."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse

from complaints import selectors
from complaints.exports import BOM
from complaints.models import Channel, Election
from complaints.selectors.open_data import COUNTS_COLUMNS, DIMENSIONS
from complaints.selectors.public_stats import HIDDEN

pytestmark = pytest.mark.django_db

FLOOR = 3


@pytest.fixture(autouse=True)
def _floor(settings: Any) -> None:
    settings.PUBLIC_STATS_MIN_COUNT = FLOOR
    cache.clear()


@pytest.fixture
def mixed(file_complaint: Any) -> dict[str, int]:
    """5 on the web, 3 by Telegram, 1 on the hotline: the hotline's 1 is under the floor."""
    made = {Channel.WEB: 5, Channel.TELEGRAM: 3, Channel.PHONE: 1}
    for channel, n in made.items():
        for _ in range(n):
            file_complaint(channel=channel)
    return {str(k): v for k, v in made.items()}


def test_public_stats_count_by_channel_with_complementary_suppression(mixed: dict[str, int]) -> None:
    stats = selectors.public_stats(election_id=Election.objects.get().pk)
    assert stats.total == 9
    cells = {c.key: c for c in stats.by_channel}
    assert cells["web"].count == 5
    assert cells["phone"].count is None, "1 < the floor"
    assert cells["telegram"].count is None, "else 9 - 5 - 3 would give the hotline's 1 away"
    assert cells["telegram"].label == "Telegram"
    assert cells["phone"].display == HIDDEN


def test_the_stats_page_and_its_api_show_channels(client: Any, mixed: dict[str, int]) -> None:
    page = client.get(reverse("public-stats")).content.decode()
    assert 'id="by-channel"' in page
    api = client.get(reverse("public-stats-api")).json()
    assert {c["key"]: c["count"] for c in api["by_channel"]} == {"web": 5, "telegram": None, "phone": None}
    old_csv = client.get(reverse("public-open-data")).content.decode()
    assert "channel,phone," in old_csv
    assert f",{HIDDEN}" in old_csv.split("channel,phone,")[1].splitlines()[0]


def counts(client: Any, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/open-data/counts.jsonl?{query}")
    assert response.status_code == 200, response.content
    return [json.loads(line) for line in response.content.decode().splitlines()]


def test_open_data_counts_have_a_channel_dimension_and_filter(client: Any, mixed: dict[str, int]) -> None:
    rows = [r for r in counts(client) if r["dimension"] == "channel"]
    assert {r["channel"]: (r["count"], r["suppressed"]) for r in rows} == {
        "web": (5, False),
        "telegram": (None, True),
        "phone": (None, True),
    }
    assert all(r["region"] == r["category"] == r["outcome"] == "" for r in rows)
    # Narrowed to the web: its total is 5 of 9, four away from the whole: shown.
    web = counts(client, "channel=web")
    assert next(r for r in web if r["dimension"] == "total")["count"] == 5
    # Narrowed to Telegram: the channel rows hold that channel alone.
    telegram = counts(client, "channel=telegram")
    assert {r["channel"] for r in telegram if r["dimension"] == "channel"} == {"telegram"}
    # Narrowed to the hotline: 1, under the floor, nowhere in the file.
    phone = counts(client, "channel=phone")
    assert all(r["count"] is None for r in phone if r["dimension"] in ("total", "channel"))
    bad = client.get("/open-data/counts.csv?channel=pigeon")
    assert bad.status_code == 400
    assert "<code>channel</code>:" in bad.content.decode()


def test_the_open_data_page_describes_the_channel_column(client: Any, mixed: dict[str, int]) -> None:
    assert "channel" in [c.name for c in COUNTS_COLUMNS]
    assert "channel" in DIMENSIONS
    page = client.get(reverse("open-data")).content.decode()
    assert "<code>channel</code>" in page
    assert "<code>phone</code>" in page
    header = client.get("/open-data/counts.csv?hxl=1").content.decode("utf-8")[1:].splitlines()
    assert "channel" in header[0].split(",")
    assert "#meta+channel" in header[1].split(",")


def test_queue_exports_carry_the_channel(client: Any, make_user: Any, file_complaint: Any) -> None:
    hotline = file_complaint(channel=Channel.PHONE)
    web = file_complaint()
    client.force_login(make_user("coordinator"))
    body = b"".join(client.get(reverse("web-queue-export-csv")).streaming_content).decode("utf-8")
    assert body.startswith(BOM)
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(body[1:]))}
    assert rows[hotline.code]["channel"] == "phone"
    assert rows[web.code]["channel"] == "web"
    filtered = b"".join(client.get(reverse("web-queue-export-csv") + "?channel=phone").streaming_content).decode()
    assert hotline.code in filtered
    assert web.code not in filtered
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(client.get(reverse("web-queue-export-xlsx")).streaming_content)), read_only=True
    )
    sheet = book.worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    column = header.index("channel")
    values = {row[header.index("code")].value: row[column].value for row in sheet.iter_rows(min_row=2)}
    assert values[hotline.code] == "phone"
    api = client.get("/api/v1/complaints/?format=csv&channel=phone")
    api_rows = list(csv.DictReader(io.StringIO(b"".join(api.streaming_content).decode("utf-8")[1:])))
    assert [(r["code"], r["channel"]) for r in api_rows] == [(hotline.code, "phone")]
