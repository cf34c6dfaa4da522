"""Complaints per day and per hour of filing, in the registry's local time; and the staff map's stations.

Buckets are read in ``settings.TIME_ZONE`` (Asia/Almaty by default): a complaint filed at
23:30 local time on 3 December counts on 3 December even though it is 18:30 UTC. One query
groups by local hour; days are the sums of their hours, so the two series always agree.

The public series passes the publication floor with complementary suppression linked across
both series: the days add up to the published total and each day's hours add up to that day,
so no hidden bucket can be worked out from the others (``public_stats.suppress_linked``).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour

from complaints.access import access_for, visible_complaints
from complaints.models import Complaint, PollingStation
from complaints.selectors.public_stats import PUBLIC_EXCLUDED, suppress_linked

# The longest run of days a series shows (the latest ones): a campaign fits, a decade does not.
MAX_DAYS = 120


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of ``day`` in local time and the first instant of the next day."""
    tz = local_zone()
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    nxt = day + timedelta(days=1)
    return start, datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)


def hours_of(day: date) -> list[datetime]:
    """The local hours of ``day`` (24, or 23/25 on a clock change), as aware local datetimes."""
    start, end = day_bounds(day)
    tz, utc = local_zone(), zoneinfo.ZoneInfo("UTC")
    hours, t = [], start.astimezone(utc)
    while t < end:
        hours.append(t.astimezone(tz))
        t += timedelta(hours=1)
    return hours


def _hourly(qs: QuerySet[Complaint]) -> dict[datetime, int]:
    tz = local_zone()
    rows = qs.order_by().annotate(bucket=TruncHour("created_at", tzinfo=tz)).values("bucket").annotate(n=Count("id"))
    out: dict[datetime, int] = {}
    for row in rows:
        key = row["bucket"].astimezone(tz)
        out[key] = out.get(key, 0) + row["n"]
    return out


def _daily(hourly: dict[datetime, int]) -> dict[date, int]:
    days: dict[date, int] = {}
    for hour, n in hourly.items():
        days[hour.date()] = days.get(hour.date(), 0) + n
    return days


def _day_range(days: dict[date, Any]) -> list[date]:
    if not days:
        return []
    first, last = min(days), max(days)
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class TimeSeries:
    """``days``: every day from the first filing to the last (zeros included); ``hours``: the hours
    of ``day`` (None when there is no complaint at all). A count of None is hidden (public only)."""

    days: list[tuple[date, int | None]]
    day: date | None
    hours: list[tuple[datetime, int | None]]


def _choose_day(days: list[date], wanted: date | None, voting_day: date | None) -> date | None:
    for candidate in (wanted, voting_day):
        if candidate is not None and candidate in days:
            return candidate
    return days[-1] if days else None


def _series(
    hourly: dict[datetime, int | None], daily: dict[date, int | None], day: date | None, voting_day: date | None
) -> TimeSeries:
    span = _day_range(daily)
    chosen = _choose_day(span, day, voting_day)
    hours = [(h, hourly.get(h, 0)) for h in hours_of(chosen)] if chosen else []
    return TimeSeries([(d, daily.get(d, 0)) for d in span], chosen, hours)


def complaint_time_series_for(
    *, user: Any, election: int | None = None, day: date | None = None, voting_day: date | None = None
) -> TimeSeries:
    """Staff: complaints in the user's scope per local day, and per hour of ``day`` (default: the
    voting day when it has complaints, else the latest day that has). Unsuppressed."""
    qs = visible_complaints(user)
    if election:
        qs = qs.filter(election_id=election)
    hourly = _hourly(qs)
    return _series(dict(hourly), dict(_daily(hourly)), day, voting_day)


def _public_buckets(election_id: int) -> tuple[dict[datetime, int | None], dict[date, int | None]]:
    qs = Complaint.objects.filter(election_id=election_id).exclude(status__in=PUBLIC_EXCLUDED)
    hourly = _hourly(qs)
    daily = _daily(hourly)
    counts: dict[Any, int] = {("d", d): n for d, n in daily.items()} | {("h", h): n for h, n in hourly.items()}
    total = sum(daily.values())
    groups: list[tuple[list[Any], Any]] = []
    if total >= settings.PUBLIC_STATS_MIN_COUNT:  # the total is published on the page: the days add up to it
        groups.append(([("d", d) for d in daily], None))
    for d in daily:
        groups.append(([("h", h) for h in hourly if h.date() == d], ("d", d)))
    hidden = suppress_linked(counts, groups)
    # A hidden day hides all its hours: shown hours would put a floor under it, and so bound the
    # other hidden days of the total from above (a day of 7 shown as 6 + x leaves 10 - 7 = 3).
    hidden |= {("h", h) for h in hourly if ("d", h.date()) in hidden and hourly[h] > 0}
    return (
        {h: (None if ("h", h) in hidden else n) for h, n in hourly.items()},
        {d: (None if ("d", d) in hidden else n) for d, n in daily.items()},
    )


def public_time_series(*, election_id: int, day: date | None = None, voting_day: date | None = None) -> TimeSeries:
    """Public: complaints per local day and per hour of ``day``, every bucket behind the floor.

    Counted like the public statistics (rejected, withdrawn and duplicate reports left out);
    computed once per PUBLIC_STATS_CACHE_SECONDS for every day at once, so the hours shown
    for one day are hidden consistently with those of every other day.
    """
    key = f"public-time-series:{election_id}:{settings.TIME_ZONE}"
    buckets = cache.get(key)
    if buckets is None:
        buckets = _public_buckets(election_id)
        cache.set(key, buckets, settings.PUBLIC_STATS_CACHE_SECONDS)
    hourly, daily = buckets
    return _series(hourly, daily, day, voting_day)


@dataclass(frozen=True)
class StationPoint:
    number: str
    latitude: float
    longitude: float


def station_points_for(*, user: Any) -> list[StationPoint]:
    """Polling stations with coordinates inside the staff user's scope (for the staff map only)."""
    access = access_for(user)
    qs = PollingStation.objects.exclude(latitude__isnull=True).exclude(longitude__isnull=True)
    if not access.staff_roles:
        return []
    if not access.everywhere:
        scope = Q(pk__in=[])
        for path in access.scope_paths:
            scope |= Q(unit__path__startswith=path)
        qs = qs.filter(scope)
    rows = qs.order_by("unit__path", "number").values_list("number", "latitude", "longitude")
    return [StationPoint(n, float(lat), float(lon)) for n, lat, lon in rows if lat is not None and lon is not None]
