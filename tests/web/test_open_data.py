"""Public open data: aggregate counts as CSV and JSON Lines, through the floor and its complementary suppression."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from complaints.models import Category, Complaint, PollingStation, TerritorialUnit, UnitLevel
from complaints.selectors.open_data import COUNTS_COLUMNS

pytestmark = pytest.mark.django_db

FLOOR = 3
CSV_URL = "/open-data/counts.csv"
JSONL_URL = "/open-data/counts.jsonl"


@pytest.fixture(autouse=True)
def _floor(settings: Any) -> None:
    settings.PUBLIC_STATS_MIN_COUNT = FLOOR
    cache.clear()


def csv_rows(client: Any, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"{CSV_URL}?{query}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def jsonl_rows(client: Any, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"{JSONL_URL}?{query}")
    assert response.status_code == 200, response.content
    return [json.loads(line) for line in response.content.decode().splitlines()]


def by(rows: list[dict[str, Any]], dimension: str) -> dict[str, Any]:
    return {row[dimension] if dimension != "total" else "": row for row in rows if row["dimension"] == dimension}


@pytest.fixture
def data(file_complaint: Any, territory: dict[str, Any], category: Category) -> dict[str, list[Complaint]]:
    """Pavlodar 7 (5 yesterday, 2 of vote buying three days ago), Astana 4, Almaty 1: 12 in all."""
    buying = Category.objects.create(code="vote_buying", name_ru="Подкуп", name_kk="Сатып алу", name_en="Vote buying")
    ast = TerritorialUnit.objects.create(parent=territory["kz"], code="ast", level=UnitLevel.REGION, name_ru="Астана")
    ps_ast = PollingStation.objects.create(unit=ast, number="7", address="Астана, ул. Кенесары 1")
    now = timezone.now()
    pav = [file_complaint(occurred_at=now - timedelta(days=1)) for _ in range(5)]
    pav += [file_complaint(occurred_at=now - timedelta(days=3), category=buying) for _ in range(2)]
    ast_made = [file_complaint(polling_station=ps_ast, occurred_at=now - timedelta(days=3)) for _ in range(4)]
    ala = [file_complaint(polling_station=territory["ps_ala"], occurred_at=now - timedelta(days=1))]
    return {"pav": pav, "ast": ast_made, "ala": ala}


def assert_never_below_floor(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        count = row["count"]
        if count in ("", None):
            assert row["suppressed"] in ("true", True), row
        else:
            assert int(count) == 0 or int(count) >= FLOOR, row
            assert row["suppressed"] in ("false", False), row


QUERIES = [
    "",
    "region=pav",
    "region=ala",
    "category=vote_buying",
    "outcome=in_review",
    "from={yesterday}",
    "to={yesterday}&from={week_ago}",
    "region=pav&category=pressure.employer&from={week_ago}",
]


def test_no_count_below_the_floor_in_any_file_or_filter(client: Any, data: Any) -> None:
    today = timezone.localdate()
    days = {"yesterday": today - timedelta(days=1), "week_ago": today - timedelta(days=7)}
    for query in QUERIES:
        query = query.format(**{k: v.isoformat() for k, v in days.items()})
        assert_never_below_floor(csv_rows(client, query))
        assert_never_below_floor(jsonl_rows(client, query))


def test_small_cells_are_suppressed_and_cannot_be_worked_out(client: Any, data: Any) -> None:
    """Fails if the floor or the complementary suppression is removed: Almaty's 1 must not be readable."""
    for rows in (csv_rows(client), jsonl_rows(client)):
        regions = by(rows, "region")
        assert regions["ala"]["count"] in ("", None)
        assert regions["ala"]["suppressed"] in ("true", True)
        total = by(rows, "total")[""]["count"]
        shown = [int(r["count"]) for r in regions.values() if r["count"] not in ("", None)]
        hidden = [r for r in regions.values() if r["count"] in ("", None)]
        # With the total shown, one hidden region alone would be total minus the others.
        assert total in ("", None) or len(hidden) != 1 or int(total) - sum(shown) >= FLOOR


def test_filters_narrow_the_counts(client: Any, data: Any) -> None:
    whole = jsonl_rows(client)
    assert by(whole, "total")[""]["count"] == 12
    assert by(whole, "region")["pav"]["count"] == 7
    rows = jsonl_rows(client, "region=pav")
    assert by(rows, "total")[""]["count"] == 7
    assert set(by(rows, "region")) == {"pav"}
    # Vote buying's 2 is hidden, and so is the 5 beside it: 7 - 5 would give the 2 away.
    assert by(rows, "category")["vote_buying"]["count"] is None
    assert by(rows, "category")["pressure.employer"]["count"] is None
    rows = jsonl_rows(client, "region=ast")
    assert by(rows, "total")[""]["count"] == 4
    assert set(by(rows, "region")) == {"ast"}
    rows = jsonl_rows(client, "category=pressure.employer")
    assert set(by(rows, "category")) == {"pressure.employer"}
    assert by(rows, "total")[""]["count"] is None  # 10 of 12: the other category's 2 would show
    assert by(rows, "region")["ast"]["count"] == 4
    assert by(jsonl_rows(client, "outcome=closed"), "outcome")["closed"]["count"] == 0
    assert by(jsonl_rows(client, "outcome=in_review"), "total")[""]["count"] == 12
    three_days_ago = (timezone.localdate() - timedelta(days=3)).isoformat()
    rows = jsonl_rows(client, f"from={three_days_ago}&to={three_days_ago}")
    assert by(rows, "total")[""]["count"] == 6  # Pavlodar's 2 and Astana's 4
    assert rows[0]["from"] == three_days_ago
    assert rows[0]["to"] == three_days_ago


def test_a_filtered_count_close_to_the_whole_is_hidden(client: Any, data: Any) -> None:
    """Pavlodar is 7 in all; 5 of them yesterday. Showing both would give away the other 2 (< floor)."""
    assert by(jsonl_rows(client), "region")["pav"]["count"] == 7
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    rows = jsonl_rows(client, f"region=pav&from={yesterday}")
    assert by(rows, "region")["pav"]["count"] is None
    # And not through the total either: it would be Pavlodar's count, its only region.
    assert by(rows, "total")[""]["count"] is None
    assert by(rows, "category")["pressure.employer"]["count"] is None


def test_hxl_hashtag_row(client: Any, data: Any) -> None:
    text = client.get(f"{CSV_URL}?hxl=1").content.decode()[1:]
    header, tags, *_ = list(csv.reader(io.StringIO(text)))
    assert header == [c.name for c in COUNTS_COLUMNS]
    assert tags == [c.hxl for c in COUNTS_COLUMNS]
    assert all(tag.startswith("#") for tag in tags)
    assert "#adm1+code" in tags
    plain = client.get(CSV_URL).content.decode()[1:]
    assert "#adm1" not in plain


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("election=no-such-election", "election"),
        ("region=nowhere", "region"),
        ("category=nothing", "category"),
        ("outcome=won", "outcome"),
        ("from=03.04.2011", "from"),
        ("from=2011-04-05&to=2011-04-03", "from/to"),
    ],
)
def test_bad_filters_say_what_to_fix(client: Any, data: Any, query: str, named: str) -> None:
    for url in (CSV_URL, JSONL_URL):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert f"<code>{named}</code>:" in response.content.decode()


def test_no_identity_or_text_in_the_files(client: Any, file_complaint: Any) -> None:
    complaint = file_complaint(full_name="Иван Петров", email="ivan@example.org", description="Секретный текст жалобы")
    for url in (CSV_URL, JSONL_URL):
        body = client.get(url).content.decode()
        for secret in ("Иван", "ivan@", "Секретный", complaint.code):
            assert secret not in body


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_open_data_page_lists_every_dataset_dictionary_and_licence(client: Any, data: Any, language: str) -> None:
    response = client.get("/open-data/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    html = response.content.decode()
    for path in (
        "/open-data/counts.csv",
        "/open-data/counts.jsonl",
        "/open-data/cases.csv",
        "/open-data/cases.jsonl",
        "/open-data/cases.geojson",
        "/open-data/regions.geojson",
    ):
        assert f'href="{path}"' in html, path
    for column in COUNTS_COLUMNS:
        assert f"<code>{column.name}</code>" in html
        assert column.hxl in html
    assert "CC BY 4.0" in html
    assert "https://creativecommons.org/licenses/by/4.0/" in html
    assert str(FLOOR) in html


def test_stats_page_links_to_open_data(client: Any, data: Any) -> None:
    assert f'href="{reverse("open-data")}"' in client.get(reverse("public-stats")).content.decode()


@pytest.mark.parametrize("url", [CSV_URL, JSONL_URL, "/open-data/"])
def test_open_data_is_rate_limited_like_stats(client: Any, data: Any, monkeypatch: Any, url: str) -> None:
    from complaints.api.throttling import PublicStatsThrottle

    # On the class itself: DRF reads the rates at import time, and another test may have shadowed them there.
    monkeypatch.setattr(PublicStatsThrottle, "THROTTLE_RATES", {"public_stats": "2/minute"})
    statuses = [client.get(f"{url}?n={i}").status_code for i in range(3)]
    assert statuses == [200, 200, 429]
