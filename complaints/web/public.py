"""The public statistics page and its open-data CSV: no login, never identity, never small counts."""

from __future__ import annotations

import csv

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET

from complaints import selectors
from complaints.api.throttling import PublicStatsThrottle
from complaints.models import Election
from complaints.web.limits import rate_limited
from complaints.web.public_map import public_region_map, public_time_context


def election_shown(request: HttpRequest) -> Election:
    """The election named by ``?election=``, else the active one, else the latest; 404 if none."""
    election = selectors.public_election(slug=request.GET.get("election"))
    if election is None:
        raise Http404("No such election.")
    return election


@require_GET
@rate_limited(PublicStatsThrottle)
@cache_page(60)
def stats_page(request: HttpRequest) -> HttpResponse:
    election = election_shown(request)
    stats = selectors.public_stats(election_id=election.pk)
    largest = (
        max([c.count or 0 for c in stats.by_region + stats.by_category + stats.by_outcome + stats.by_channel] or [1])
        or 1
    )
    return render(
        request,
        "complaints/public/stats.html",
        {
            "election": election,
            "elections": Election.objects.all(),
            "stats": stats,
            "largest": largest,
            "floor": settings.PUBLIC_STATS_MIN_COUNT,
            "outcomes": selectors.public_case_outcomes(election_id=election.pk),
            "region_map": public_region_map(election, stats),
            **public_time_context(request, election),
        },
    )


@require_GET
@rate_limited(PublicStatsThrottle)
def open_data_csv(request: HttpRequest) -> HttpResponse:
    election = election_shown(request)
    stats = selectors.public_stats(election_id=election.pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{election.slug}-complaints.csv"'
    writer = csv.writer(response)
    writer.writerow(["election", "dimension", "key", "label", "count"])
    for dimension, cells in (
        ("region", stats.by_region),
        ("category", stats.by_category),
        ("outcome", stats.by_outcome),
        ("channel", stats.by_channel),
    ):
        for cell in cells:
            writer.writerow([election.slug, dimension, cell.key, cell.label, cell.display])
    return response
