"""The public map and time series on /stats/, and the regions GeoJSON dataset.

Every number here is a published one: the region cells come from ``selectors.public_stats``
and the time buckets from ``public_time_series``, both behind the floor with complementary
suppression. Polling stations are never drawn on a public map.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET

from complaints import selectors
from complaints.api.throttling import PublicStatsThrottle
from complaints.geo import region_geometry
from complaints.models import Election
from complaints.selectors.public_stats import HIDDEN, PublicStats
from complaints.selectors.time_series import TimeSeries, public_time_series
from complaints.web.limits import rate_limited
from complaints.web.maps import RegionMap, TimeChart, region_map, time_chart
from complaints.web.open_data import LICENCE, LICENCE_URL, CountsQuery, _bad_query


def cases_href(election: Election, code: str) -> str:
    """The published cases of one region (the list at /cases/, filtered)."""
    return reverse("public-cases") + "?" + urlencode({"election": election.slug, "region": code})


def public_region_map(election: Election, stats: PublicStats) -> RegionMap:
    labels = {u.code: u.name for u in selectors.filing_regions()}
    counts = {c.key: c.count for c in stats.by_region}
    return region_map(counts, labels, lambda code: cases_href(election, code), title=_("Complaints by region (map)"))


def day_label(day: date) -> str:
    return formats.date_format(day, "j M")


def time_charts(series: TimeSeries, *, day_href: Any = None, hour_href: Any = None) -> tuple[TimeChart, TimeChart]:
    """The per-day chart and the per-hour chart of ``series.day``; ``*_href(bucket)``: a bar's link."""
    days = time_chart(
        [(day_label(d), n) for d, n in series.days],
        title=_("Complaints per day (by filing time, local time)"),
        hrefs=[day_href(d) for d, _n in series.days] if day_href else None,
    )
    shown = formats.date_format(series.day, "DATE_FORMAT") if series.day else ""
    hours = time_chart(
        [(h.strftime("%H:00"), n) for h, n in series.hours],
        title=_("Complaints per hour on %(day)s (local time)") % {"day": shown},
        hrefs=[hour_href(h) for h, _n in series.hours] if hour_href else None,
    )
    return days, hours


def public_time_context(request: HttpRequest, election: Election) -> dict[str, Any]:
    """The /stats/ page's time series: ``?day=YYYY-MM-DD`` picks the day shown by hour."""
    try:
        wanted = parse_date(request.GET.get("day", "") or "")
    except ValueError:
        wanted = None
    series = public_time_series(election_id=election.pk, day=wanted, voting_day=election.voting_day)

    def day_href(d: date) -> str:
        return "?" + urlencode({"election": election.slug, "day": d.isoformat()}) + "#by-hour"

    days, hours = time_charts(series, day_href=day_href)
    return {"day_chart": days, "hour_chart": hours, "series_day": series.day}


def _feature(shape: Any, cell: Any, label: str) -> dict[str, Any]:
    count = cell.count if cell is not None else 0
    return {
        "type": "Feature",
        "id": shape.code,
        "properties": {
            "region": shape.code,
            "name": label,
            "count": count,  # null: hidden (below the floor, or hidden beside a small count)
            "display": HIDDEN if count is None else str(count),
        },
        "geometry": shape.geometry,
    }


@require_GET
@rate_limited(PublicStatsThrottle)
@cache_page(60)
def regions_geojson(request: HttpRequest) -> HttpResponse:
    """Complaints per region with each region's boundary: filters election, category, from, to
    (and region, outcome, like the counts datasets); suppressed like every public count."""
    form = CountsQuery(request.GET)
    if not form.is_valid():
        return _bad_query(form)
    election = form.cleaned_data["election"]
    stats = selectors.public_stats(election_id=election.pk, filters=form.filters() or None)
    cells = {c.key: c for c in stats.by_region}
    labels = {u.code: u.name for u in selectors.filing_regions()}
    geometry = region_geometry()
    body = {
        "type": "FeatureCollection",
        "election": election.slug,
        "filters": {k: request.GET.get(k) or None for k in ("region", "category", "outcome", "from", "to")},
        "total": stats.total,
        "suppression": _("Counts below %(floor)s are null, and so is any count that would let one be worked out.")
        % {"floor": settings.PUBLIC_STATS_MIN_COUNT},
        "licence": {"counts": LICENCE, "counts_url": LICENCE_URL, "geometry": geometry.licence},
        "provenance": {"geometry": geometry.source, "simplification": geometry.simplification},
        "features": [_feature(s, cells.get(s.code), labels.get(s.code) or s.name) for s in geometry.shapes],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False).encode("utf-8"), content_type="application/geo+json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{election.slug}-regions.geojson"'
    response["Access-Control-Allow-Origin"] = "*"
    return response
