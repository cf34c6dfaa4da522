"""The region map, the time series and the regions GeoJSON: links, scope, local-time buckets, suppression."""

from __future__ import annotations

import json
import re
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from complaints.geo import region_geometry
from complaints.models import Complaint
from complaints.selectors import time_series
from complaints.selectors.time_series import complaint_time_series_for
from tests.test_stats_suppression import determined, small_sums

pytestmark = pytest.mark.django_db

FLOOR = 5
ALL_CODES = {
    "akm",
    "akt",
    "alm",
    "atr",
    "vko",
    "zhm",
    "zko",
    "kar",
    "kos",
    "kzo",
    "man",
    "pav",
    "sko",
    "yuko",
    "ast",
    "ala",
}


@pytest.fixture(autouse=True)
def _floor(settings: Any) -> None:
    settings.PUBLIC_STATS_MIN_COUNT = FLOOR


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def filed_at(complaint: Complaint, moment: datetime) -> Complaint:
    Complaint.objects.filter(pk=complaint.pk).update(created_at=moment)
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def spread(file_complaint: Any, territory: dict[str, Any]) -> dict[str, list[Complaint]]:
    """Pavlodar: 7 on 3 December (6 at 10:xx, 1 at 23:30 local), 1 just after local midnight; Almaty: 2."""
    pav = [filed_at(file_complaint(), local(2026, 12, 3, 10, i)) for i in range(6)]
    pav.append(filed_at(file_complaint(), local(2026, 12, 3, 23, 30)))
    pav.append(filed_at(file_complaint(), local(2026, 12, 4, 0, 30)))
    ala = [filed_at(file_complaint(polling_station=territory["ps_ala"]), local(2026, 12, 4, 9, 0)) for _ in range(2)]
    return {"pav": pav, "ala": ala}


def _paths(html: str, map_id: str) -> list[str]:
    block = html[html.index(f'id="{map_id}"') :]
    block = block[: block.index("</figure>")]
    return re.findall(r'<path d="[^"]+" class="map__r [^"]*" data-region="([a-z]+)"', block)


def _map_links(html: str, map_id: str) -> dict[str, str]:
    block = html[html.index(f'id="{map_id}"') :]
    block = block[: block.index("</figure>")]
    return {
        code: unescape(href)
        for href, code in re.findall(r'<a href="([^"]+)" class="map__link" data-region="([a-z]+)"', block)
    }


def _numbers_shown(html: str) -> list[int]:
    """Every count the public page shows in the map, the region table and the time buckets."""
    labels = re.findall(r'aria-label="[^":]+: (\w+)"', html)
    cells = re.findall(r'<td class="num"[^>]*>(\w+)</td>', html)
    titles = re.findall(r"<title>[^<]*: (\w+)</title>", html)
    return [int(v) for v in labels + cells + titles if v.isdigit()]


# --- the public map ---------------------------------------------------------------------------


def test_public_map_draws_one_path_per_region_each_linking_to_its_published_cases(client, election, spread):
    html = client.get(reverse("public-stats"), {"election": election.slug}).content.decode()
    paths = _paths(html, "public-map")
    assert sorted(paths) == sorted(ALL_CODES)  # one path per region, Almaty and Astana cities included
    links = _map_links(html, "public-map")
    assert links == {code: f"/cases/?election={election.slug}&region={code}" for code in ALL_CODES}
    assert 'viewBox="0 0 640 ' in html
    assert 'width="100%"' in html
    assert "map__station" not in html  # polling stations are for staff only


def test_public_map_hides_a_small_region_and_the_one_that_would_give_it_away(client, election, spread):
    html = client.get(reverse("public-stats"), {"election": election.slug}).content.decode()
    # Pavlodar 8, Almaty 2 (< 5): Almaty is hidden, and so is Pavlodar (total 10 - 8 = 2 otherwise).
    assert 'aria-label="Almaty: x"' in html
    assert 'aria-label="Pavlodar Region: x"' in html
    assert "map__r map__r--hidden" in html


def test_no_public_map_cell_or_time_bucket_is_below_the_floor(client, election, spread, file_complaint):
    """Fails if the suppression is taken away: the data holds a region of 2 and hours of 1."""
    for _ in range(4):  # Pavlodar 12, Almaty 2: Almaty hidden, Pavlodar too (12 of 14)
        filed_at(file_complaint(), local(2026, 12, 3, 15, 0))
    for day in (None, "2026-12-03", "2026-12-04"):
        params = {"election": election.slug, **({"day": day} if day else {})}
        html = client.get(reverse("public-stats"), params).content.decode()
        shown = _numbers_shown(html)
        assert shown, "the page shows no count at all: the parser missed them"
        assert all(n == 0 or n >= FLOOR for n in shown), shown
    geo = client.get(reverse("public-regions-geojson"), {"election": election.slug}).json()
    counts = [f["properties"]["count"] for f in geo["features"]]
    assert all(c is None or c == 0 or c >= FLOOR for c in counts), counts


def test_public_time_buckets_hide_small_hours_linked_to_their_day_and_the_total(election, spread):
    # 3 December: 7 (6 at 10:00, 1 at 23:00); 4 December: 3 (00:00, 09:00 x2); total 10, published.
    series = time_series.public_time_series(election_id=election.pk, day=date(2026, 12, 4))
    assert dict(series.days) == {date(2026, 12, 3): None, date(2026, 12, 4): None}  # 3 < 5, and 10 - 7 = 3
    assert {h.hour: n for h, n in series.hours if n != 0} == {0: None, 9: None}
    # The hours of a hidden day are hidden too: "6 at 10:00" would show 3 December >= 6, so 4 December <= 4.
    series = time_series.public_time_series(election_id=election.pk, day=date(2026, 12, 3))
    assert {h.hour: n for h, n in series.hours if n != 0} == {10: None, 23: None}
    # An attacker working the sums (hours -> their day, days -> the total) pins no hidden bucket.
    hourly, daily = time_series._public_buckets(election.pk)
    raw_hourly = time_series._hourly(Complaint.objects.filter(election=election))
    raw_daily = time_series._daily(raw_hourly)
    counts = {("d", d): n for d, n in raw_daily.items()} | {("h", h): n for h, n in raw_hourly.items()}
    hidden = {("d", d) for d, n in daily.items() if n is None} | {("h", h) for h, n in hourly.items() if n is None}
    groups = [([("d", d) for d in raw_daily], None)]
    groups += [([("h", h) for h in raw_hourly if h.date() == d], ("d", d)) for d in raw_daily]
    assert {c for c, n in counts.items() if 0 < n < FLOOR} <= hidden
    assert not determined(hidden, groups)
    assert not small_sums(counts, hidden, groups)


def test_public_hours_of_a_shown_day_are_shown_above_the_floor(election, file_complaint):
    for minute in range(12):
        filed_at(file_complaint(), local(2026, 12, 3, 10, minute))
    for minute in range(6):
        filed_at(file_complaint(), local(2026, 12, 3, 14, minute))
    filed_at(file_complaint(), local(2026, 12, 3, 16, 0))
    series = time_series.public_time_series(election_id=election.pk, day=date(2026, 12, 3))
    assert series.days == [(date(2026, 12, 3), 19)]
    # 16:00 holds 1: hidden, and 14:00 (the smallest beside it) so that 19 - 12 - 6 gives nothing away.
    assert {h.hour: n for h, n in series.hours if n != 0} == {10: 12, 14: None, 16: None}


# --- time buckets in local time ----------------------------------------------------------------


def test_buckets_count_by_local_day_across_midnight(coordinator, election, file_complaint):
    late = filed_at(file_complaint(), local(2026, 12, 3, 23, 30))
    early = filed_at(file_complaint(), local(2026, 12, 4, 0, 30))
    # Stored in UTC the two fall on the same UTC day (Asia/Almaty is ahead of UTC) ...
    assert late.created_at.astimezone(UTC).date() == early.created_at.astimezone(UTC).date()
    series = complaint_time_series_for(user=coordinator, election=election.pk, day=date(2026, 12, 3))
    # ... but on two local days.
    assert series.days == [(date(2026, 12, 3), 1), (date(2026, 12, 4), 1)]
    assert [(h.hour, n) for h, n in series.hours if n] == [(23, 1)]
    assert len(series.hours) == 24
    assert series.hours[0][0] == local(2026, 12, 3, 0, 0)


def test_staff_series_defaults_to_the_voting_day_then_the_latest(coordinator, election, file_complaint):
    filed_at(file_complaint(), local(2026, 12, 1, 8, 0))
    filed_at(file_complaint(), local(2026, 12, 3, 8, 0))
    series = complaint_time_series_for(user=coordinator, election=election.pk, voting_day=date(2026, 12, 1))
    assert series.day == date(2026, 12, 1)
    assert [d for d, _n in series.days] == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    assert complaint_time_series_for(user=coordinator, election=election.pk).day == date(2026, 12, 3)


# --- the staff map and the dashboard's links ----------------------------------------------------


def _codes_in_queue(client: Any, href: str) -> set[str]:
    html = client.get(href).content.decode()
    return set(re.findall(r'href="/complaints/([^/"]+)/" class="code-link"', html))


def test_every_dashboard_bar_opens_the_queue_with_exactly_its_complaints(client, coordinator, election, spread):
    client.force_login(coordinator)
    html = client.get(reverse("web-dashboard"), {"election": election.pk, "day": "2026-12-03"}).content.decode()
    bars = [unescape(h) for h in re.findall(r'<a href="(/queue/\?[^"]+)" class="(?:tchart__link|chart__link)"', html)]
    assert bars, "no bar links on the dashboard"
    everything = spread["pav"] + spread["ala"]

    def expected(href: str) -> set[str]:
        query = dict(p.split("=", 1) for p in href.split("?", 1)[1].split("&"))
        picked = everything
        if "region" in query:
            picked = [c for c in picked if c.unit_path.split("/")[1] == query["region"]]
        if "created_from" in query:
            form = client.get(href).context["form"]
            filters = form.to_filters()
            picked = [c for c in picked if filters.created_from <= c.created_at < filters.created_to]
        return {c.code for c in picked}

    checked = 0
    for href in bars:
        want = expected(href)
        assert _codes_in_queue(client, href) == want, href
        checked += bool(want)
    assert checked >= 4  # days, the hours with complaints, regions and categories were all tried
    day3 = next(h for h in bars if "created_from=2026-12-03&created_to=2026-12-03" in h)
    assert _codes_in_queue(client, day3) == {c.code for c in spread["pav"][:7]}  # 23:30 local is 3 December


def test_staff_map_counts_and_links_stay_in_scope_and_shows_stations(client, make_user, territory, election, spread):
    territory["ps_pav"].latitude, territory["ps_pav"].longitude = Decimal("51.72"), Decimal("75.32")
    territory["ps_pav"].save()
    territory["ps_ala"].latitude, territory["ps_ala"].longitude = Decimal("43.25"), Decimal("76.92")
    territory["ps_ala"].save()
    client.force_login(make_user("coordinator", [territory["pav"]], username="coord_pav"))
    html = client.get(reverse("web-dashboard")).content.decode()
    assert sorted(_paths(html, "staff-map")) == sorted(ALL_CODES)
    assert _map_links(html, "staff-map") == {"pav": "/queue/?region=pav"}  # Almaty is outside the scope: no link
    assert 'aria-label="Pavlodar Region: 8"' in html  # unsuppressed for staff
    assert re.search(r'<g class="map__out" data-region="ala">\s*<path[^>]*><title>Almaty: 0</title>', html)
    assert html.count('class="map__station"><title>') == 1
    assert "<title>№512</title>" in html


# --- the regions GeoJSON --------------------------------------------------------------------------


def test_regions_geojson_has_every_region_with_geometry_suppressed_counts_and_provenance(client, election, spread):
    response = client.get(reverse("public-regions-geojson"), {"election": election.slug})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert {f["id"] for f in data["features"]} == ALL_CODES
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in data["features"])
    props = {f["id"]: f["properties"] for f in data["features"]}
    assert props["ala"]["count"] is None
    assert props["pav"]["count"] is None
    assert props["akm"]["count"] == 0
    assert "Natural Earth" in data["provenance"]["geometry"]
    assert "ublic domain" in data["licence"]["geometry"]
    assert data["licence"]["counts"]


def test_regions_geojson_filters_and_refuses_bad_ones(client, election, file_complaint, category):
    for _ in range(6):
        file_complaint()
    url = reverse("public-regions-geojson")
    ok = client.get(url, {"election": election.slug, "category": category.code}).json()
    assert {f["id"]: f["properties"]["count"] for f in ok["features"]}["pav"] == 6
    assert client.get(url, {"election": election.slug, "category": "no-such"}).status_code == 400
    assert client.get(url, {"election": election.slug, "from": "2026-13-01"}).status_code == 400


def test_shipped_geometry_is_small_and_names_every_region_once():
    geometry = region_geometry()
    assert sorted(s.code for s in geometry.shapes) == sorted(ALL_CODES)
    assert {s.code for s in geometry.shapes if s.kind == "city"} == {"ast", "ala"}
    from complaints.geo import GEOMETRY_FILE

    assert GEOMETRY_FILE.stat().st_size < 100_000


def test_queue_refuses_a_malformed_filing_time(client, coordinator):
    client.force_login(coordinator)
    form = client.get(reverse("web-queue"), {"created_from": "3 December"}).context["form"]
    assert "created_from" in form.errors


def test_queue_created_bounds_read_a_day_to_its_local_end(client, coordinator, election, file_complaint):
    late = filed_at(file_complaint(), local(2026, 12, 3, 23, 59))
    filed_at(file_complaint(), local(2026, 12, 4, 0, 1))
    client.force_login(coordinator)
    assert _codes_in_queue(client, "/queue/?created_from=2026-12-03&created_to=2026-12-03") == {late.code}
    hour = (
        local(2026, 12, 3, 23, 0).isoformat(timespec="minutes"),
        local(2026, 12, 4, 0, 0).isoformat(timespec="minutes"),
    )
    got = client.get(reverse("web-queue"), {"created_from": hour[0], "created_to": hour[1]})
    assert {c.code for c in got.context["page"]} == {late.code}
    assert timedelta(0) < late.created_at - local(2026, 12, 3, 23, 0) < timedelta(hours=1)
