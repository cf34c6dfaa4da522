"""Public open data: the aggregate counts as CSV (optionally with HXL hashtags) and JSON Lines, and the
open-data page listing every dataset, its columns, the licence and the suppression rule.

No login, never identity, never a count below the floor (``selectors.public_stats`` applies
it); rate-limited like ``/stats/``. Bad filters answer 400 saying what to fix.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET

from complaints import selectors
from complaints.api.throttling import PublicStatsThrottle
from complaints.exports import BOM, cell
from complaints.models import Category, Channel, Election, TerritorialUnit
from complaints.selectors.open_data import COUNTS_COLUMNS, DIMENSIONS, count_rows
from complaints.selectors.public_stats import OUTCOME_LABELS, CountFilters
from complaints.web.limits import rate_limited

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


class CountsQuery(forms.Form):
    """The filters of the counts datasets, as GET parameters."""

    election = forms.SlugField(required=False, max_length=80)
    region = forms.SlugField(required=False, max_length=40)
    category = forms.CharField(required=False, max_length=60)
    outcome = forms.ChoiceField(required=False, choices=[("", ""), *((k, k) for k in OUTCOME_LABELS)])
    date_from = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    channel = forms.ChoiceField(required=False, choices=[("", ""), *((c.value, c.value) for c in Channel)])
    hxl = forms.BooleanField(required=False)

    def __init__(self, data: Any) -> None:
        # "from" and "to" are Python keywords: the form's fields take them under other names.
        renamed = {"date_from": data.get("from", ""), "date_to": data.get("to", "")}
        super().__init__(
            {**{k: data.get(k, "") for k in ("election", "region", "category", "outcome", "channel", "hxl")}, **renamed}
        )

    def clean_election(self) -> Election:
        election = selectors.public_election(slug=self.cleaned_data["election"] or None)
        if election is None:
            raise forms.ValidationError(_("No election with this short name: see the list on /stats/."))
        return election

    def clean_region(self) -> str:
        code = self.cleaned_data["region"]
        if code and not TerritorialUnit.objects.filter(code=code).exists():
            raise forms.ValidationError(_("No territorial unit with this code."))
        return str(code)

    def clean_category(self) -> str:
        code = self.cleaned_data["category"].strip()
        if code and not Category.objects.filter(code=code).exists():
            raise forms.ValidationError(_("No violation category with this code."))
        return str(code)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("“from” is after “to”: give the first day, then the last."))
        return data

    def filters(self) -> CountFilters:
        data = self.cleaned_data
        return CountFilters(
            region=data["region"] or None,
            category=data["category"] or None,
            outcome=data["outcome"] or None,
            date_from=data["date_from"],
            date_to=data["date_to"],
            channel=data["channel"] or None,
        )


def _bad_query(form: CountsQuery) -> HttpResponse:
    """400: a small page (no request needed) naming each bad parameter and what is wrong with it."""
    names = {"date_from": "from", "date_to": "to", "__all__": "from/to"}
    problems = [(names.get(field, field), error) for field, errors in form.errors.items() for error in errors]
    html = render_to_string("complaints/public/bad_query.html", {"problems": problems})
    return HttpResponse(html, status=400)


def _rows(request: HttpRequest) -> tuple[CountsQuery, list[dict[str, Any]]]:
    form = CountsQuery(request.GET)
    if not form.is_valid():
        return form, []
    return form, count_rows(election=form.cleaned_data["election"], filters=form.filters())


def _attachment(response: HttpResponse, form: CountsQuery, extension: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{form.cleaned_data["election"].slug}-counts.{extension}"'
    response["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return response


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    return cell(value)


@require_GET
@rate_limited(PublicStatsThrottle)
@cache_page(60)
def counts_csv(request: HttpRequest) -> HttpResponse:
    form, rows = _rows(request)
    if form.errors:
        return _bad_query(form)
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in COUNTS_COLUMNS])
    if form.cleaned_data["hxl"]:
        writer.writerow([c.hxl for c in COUNTS_COLUMNS])
    for row in rows:
        writer.writerow([_csv_value(row[c.name]) for c in COUNTS_COLUMNS])
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    return _attachment(response, form, "csv")


@require_GET
@rate_limited(PublicStatsThrottle)
@cache_page(60)
def counts_jsonl(request: HttpRequest) -> HttpResponse:
    form, rows = _rows(request)
    if form.errors:
        return _bad_query(form)
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    response = HttpResponse(body.encode("utf-8"), content_type="application/jsonl; charset=utf-8")
    return _attachment(response, form, "jsonl")


# Every dataset the open-data page lists: (path, formats, what it holds). The case and region
# datasets are served by their own modules (published cases, the map); the page links them by path.
DATASETS: tuple[tuple[str, Any, tuple[str, ...], Any], ...] = (
    (
        "counts",
        gettext_lazy("Complaint counts"),
        ("csv", "jsonl"),
        gettext_lazy(
            "Counts of complaints by region, top-level category and outcome, with the total; filters: "
            "election, region, category, outcome, from, to. Add hxl=1 for a row of HXL hashtags in the CSV."
        ),
    ),
    (
        "cases",
        gettext_lazy("Published cases"),
        ("csv", "jsonl", "geojson"),
        gettext_lazy(
            "Cases a coordinator has published, with their public summary and outcome; same filters. "
            "No reporter data, only the published summary."
        ),
    ),
    (
        "regions",
        gettext_lazy("Complaints per region, with boundaries"),
        ("geojson",),
        gettext_lazy("The region counts with each region's simplified boundary, for maps; suppressed like the rest."),
    ),
)


@require_GET
@rate_limited(PublicStatsThrottle)
@cache_page(60)
def open_data_page(request: HttpRequest) -> HttpResponse:
    election = selectors.public_election(slug=None)
    datasets = [
        {"slug": slug, "title": title, "description": text, "files": [f"/open-data/{slug}.{fmt}" for fmt in formats]}
        for slug, title, formats, text in DATASETS
    ]
    context = {
        "datasets": datasets,
        "columns": COUNTS_COLUMNS,
        "dimensions": DIMENSIONS,
        "outcomes": {k: str(v) for k, v in OUTCOME_LABELS.items()},
        "channels": {c.value: str(c.label) for c in Channel},
        "floor": settings.PUBLIC_STATS_MIN_COUNT,
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "election": election,
        "elections": Election.objects.order_by("-voting_day"),
    }
    return render(request, "complaints/public/open_data.html", context)
