"""Published cases as Atom feeds (all, and per region) and as open datasets: CSV (optionally HXL), JSON Lines, GeoJSON.

The same public filters as the list; the same rows as the case page; no identity, no receipt
code. An entry's ``updated`` is the last change of the case: republished, filed with a body,
or the authority's decision recorded.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from complaints import selectors
from complaints.api.throttling import PublicStatsThrottle
from complaints.middleware import refusal
from complaints.models import PublishedCase, TerritorialUnit, UnitLevel
from complaints.web.limits import rate_limited
from complaints.web.publication import case_url, evidence_url, filters_from

FEED_SIZE = 50


class CasesFeed(Feed):
    """Every published case (``/cases/feed.atom``), or one region's (``/cases/feed/<code>.atom``)."""

    feed_type = Atom1Feed  # the entry id is the case page's absolute URL (Feed makes links absolute)

    def get_object(self, request: HttpRequest, region: str | None = None) -> TerritorialUnit | None:
        if region is None:
            return None
        unit = TerritorialUnit.objects.filter(code=region, level=UnitLevel.REGION).first()
        if unit is None:
            raise Http404(_("No such region."))
        return unit

    def title(self, obj: TerritorialUnit | None) -> str:
        if obj is None:
            return _("Published cases")
        return _("Published cases: %(region)s") % {"region": obj.name}

    def subtitle(self, obj: TerritorialUnit | None) -> str:
        return _("Election irregularities documented by observers, and what the authorities decided.")

    def link(self, obj: TerritorialUnit | None) -> str:
        base = reverse("public-cases")
        return f"{base}?region={obj.code}" if obj else base

    def feed_url(self, obj: TerritorialUnit | None) -> str:
        return reverse("public-cases-feed-region", args=[obj.code]) if obj else reverse("public-cases-feed")

    def items(self, obj: TerritorialUnit | None) -> list[PublishedCase]:
        filters = selectors.CaseFilters(region=obj.code if obj else "")
        return list(selectors.published_cases(filters)[:FEED_SIZE])

    def item_title(self, item: PublishedCase) -> str:
        return item.title

    def item_description(self, item: PublishedCase) -> str:
        return item.summary

    def item_link(self, item: PublishedCase) -> str:
        return reverse("public-case", args=[item.slug])

    def item_pubdate(self, item: PublishedCase) -> datetime:
        return item.first_published_at

    def item_updateddate(self, item: PublishedCase) -> datetime:
        return item.changed_at

    def item_categories(self, item: PublishedCase) -> list[str]:
        labels = [item.category.name, selectors.outcome_label(item.outcome)]
        return labels + ([item.region.name] if item.region else [])


cases_feed = rate_limited(PublicStatsThrottle)(CasesFeed())


# --- datasets ----------------------------------------------------------------------------------

CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "#meta+id"),
    ("url", "#meta+url"),
    ("title", "#description+title"),
    ("summary", "#description+summary"),
    ("language", "#meta+lang"),
    ("election", "#event+election+code"),
    ("election_name", "#event+election+name"),
    ("region", "#adm1+code"),
    ("region_name", "#adm1+name"),
    ("category", "#sector+code"),
    ("category_name", "#sector+name"),
    ("occurred_on", "#date+occurred"),
    ("published_on", "#date+published"),
    ("updated_on", "#date+updated"),
    ("outcome", "#status+code"),
    ("outcome_label", "#status+name"),
    ("polling_station", "#loc+code"),
    ("polling_station_address", "#loc+address"),
    ("latitude", "#geo+lat"),
    ("longitude", "#geo+lon"),
    ("evidence_urls", "#meta+evidence+url"),
    ("evidence_sha256", "#meta+evidence+sha256"),
    ("evidence_original_sha256", "#meta+evidence+original+sha256"),
)


def case_records(request: HttpRequest, filters: selectors.CaseFilters) -> Iterator[dict[str, Any]]:
    for chunk in selectors.iter_published(filters):
        evidence = selectors.published_evidence_map(chunk)
        for case in chunk:
            urls = [(evidence_url(request, case, n), e) for n, e in enumerate(evidence[case.pk], start=1)]
            yield selectors.case_record(case, url=case_url(request, case), evidence_urls=urls)


def _bad_filters(request: HttpRequest, form: Any) -> HttpResponse:
    return refusal(request, status=400, code="invalid", message=form.problems())


def _csv_line(row: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(row)
    return out.getvalue()


def _csv_row(record: dict[str, Any]) -> list[Any]:
    flat = dict(record)
    flat["evidence_urls"] = " ".join(e["url"] for e in record["evidence"])
    flat["evidence_sha256"] = " ".join(e["sha256"] for e in record["evidence"])
    flat["evidence_original_sha256"] = " ".join(e["original_sha256"] for e in record["evidence"])
    return ["" if flat[name] is None else flat[name] for name, _tag in CSV_COLUMNS]


def _stream(request: HttpRequest, filters: selectors.CaseFilters, hxl: bool) -> Iterator[str]:
    yield _csv_line([name for name, _tag in CSV_COLUMNS])
    if hxl:
        yield _csv_line([tag for _name, tag in CSV_COLUMNS])
    for record in case_records(request, filters):
        yield _csv_line(_csv_row(record))


@require_GET
@rate_limited(PublicStatsThrottle)  # type: ignore[arg-type]  # typed for HttpResponse; streams pass through as well
def cases_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, filters = filters_from(request)
    if filters is None:
        return _bad_filters(request, form)
    hxl = request.GET.get("hxl") in {"1", "true", "yes"}
    response = StreamingHttpResponse(_stream(request, filters, hxl), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="published-cases.csv"'
    return response


@require_GET
@rate_limited(PublicStatsThrottle)  # type: ignore[arg-type]  # typed for HttpResponse; streams pass through as well
def cases_jsonl(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, filters = filters_from(request)
    if filters is None:
        return _bad_filters(request, form)
    lines = (json.dumps(r, ensure_ascii=False) + "\n" for r in case_records(request, filters))
    response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="published-cases.jsonl"'
    return response


def _feature(record: dict[str, Any]) -> dict[str, Any]:
    lat, lon = record["latitude"], record["longitude"]
    geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
    return {"type": "Feature", "id": record["id"], "geometry": geometry, "properties": record}


@require_GET
@rate_limited(PublicStatsThrottle)
def cases_geojson(request: HttpRequest) -> HttpResponse:
    form, filters = filters_from(request)
    if filters is None:
        return _bad_filters(request, form)
    collection = {"type": "FeatureCollection", "features": [_feature(r) for r in case_records(request, filters)]}
    response = HttpResponse(
        json.dumps(collection, ensure_ascii=False), content_type="application/geo+json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="published-cases.geojson"'
    return response
