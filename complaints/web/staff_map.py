"""The coordinators' dashboard map and charts: the user's scope, unsuppressed, every bar a queue link.

Each region, bar and time bucket links to the queue filtered to exactly what it counts
(``/queue/?region=...``, ``?category=...``, ``?created_from=...&created_to=...``, with the
election when one is chosen). Polling stations with coordinates inside the scope are drawn as
points: staff only, never on a public page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.models import Election
from complaints.selectors import CountRow
from complaints.selectors.time_series import complaint_time_series_for, station_points_for
from complaints.web.maps import region_map
from complaints.web.presenters import bar_chart
from complaints.web.public_map import time_charts


def queue_href(election: int | None, **params: str) -> str:
    query = {**({"election": str(election)} if election else {}), **params}
    return reverse("web-queue") + "?" + urlencode(query)


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def dashboard_charts(
    request: HttpRequest, *, election: int | None, regions: list[CountRow], categories: list[CountRow]
) -> dict[str, Any]:
    user = request.user
    reachable = {u.code: u.name for u in selectors.regions_for(user=user)}
    labels = {u.code: u.name for u in selectors.filing_regions()}

    def region_href(code: str) -> str:
        return queue_href(election, region=code) if code in reachable else ""

    staff_map = region_map(
        {r.key: r.count for r in regions if r.key},
        labels,
        region_href,
        title=_("Complaints by region in your scope (map)"),
        points=[(p.longitude, p.latitude, f"№{p.number}") for p in station_points_for(user=user)],
    )
    try:
        wanted = parse_date(request.GET.get("day", "") or "")
    except ValueError:
        wanted = None
    voting_day = Election.objects.filter(pk=election).values_list("voting_day", flat=True).first() if election else None
    series = complaint_time_series_for(user=user, election=election, day=wanted, voting_day=voting_day)

    def day_href(d: date) -> str:
        return queue_href(election, created_from=d.isoformat(), created_to=d.isoformat())

    def hour_href(h: datetime) -> str:
        end = (h.astimezone(UTC) + timedelta(hours=1)).astimezone(h.tzinfo)  # the next hour, even on a clock change
        return queue_href(election, created_from=_instant(h), created_to=_instant(end))

    day_chart, hour_chart = time_charts(series, day_href=day_href, hour_href=hour_href)
    return {
        "staff_map": staff_map,
        "region_chart": bar_chart(
            regions, _("Complaints by region"), href=lambda r: region_href(r.key) if r.key else ""
        ),
        "category_chart": bar_chart(
            categories, _("Complaints by category"), href=lambda r: queue_href(election, category=r.key)
        ),
        "day_chart": day_chart,
        "hour_chart": hour_chart,
        "series_day": series.day,
    }
