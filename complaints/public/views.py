"""Public, anonymised statistics and open data. No login; never identity, never small counts."""

from __future__ import annotations

import csv

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import selectors
from complaints.models import Election, ElectionStatus


def _election(request: HttpRequest) -> Election:
    slug = request.GET.get("election")
    if slug:
        return get_object_or_404(Election, slug=slug)
    return Election.objects.filter(status=ElectionStatus.ACTIVE).first() or get_object_or_404(
        Election.objects.order_by("-voting_day")[:1]
    )


@require_GET
@cache_page(60)
def stats_page(request: HttpRequest) -> HttpResponse:
    election = _election(request)
    stats = selectors.public_stats(election_id=election.pk)
    largest = max([c.count or 0 for c in stats.by_region + stats.by_category + stats.by_outcome] or [1]) or 1
    return render(
        request,
        "complaints/public/stats.html",
        {
            "election": election,
            "elections": Election.objects.all(),
            "stats": stats,
            "largest": largest,
            "floor": settings.PUBLIC_STATS_MIN_COUNT,
        },
    )


@require_GET
def open_data_csv(request: HttpRequest) -> HttpResponse:
    election = _election(request)
    stats = selectors.public_stats(election_id=election.pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{election.slug}-complaints.csv"'
    writer = csv.writer(response)
    writer.writerow(["election", "dimension", "key", "label", "count"])
    for dimension, cells in (
        ("region", stats.by_region),
        ("category", stats.by_category),
        ("outcome", stats.by_outcome),
    ):
        for cell in cells:
            writer.writerow([election.slug, dimension, cell.key, cell.label, cell.display])
    return response


class PublicCellSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField(allow_null=True, help_text="null when below the publication floor")


class PublicStatsSerializer(serializers.Serializer):
    election = serializers.CharField()
    min_count = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)
    by_region = PublicCellSerializer(many=True)
    by_category = PublicCellSerializer(many=True)
    by_outcome = PublicCellSerializer(many=True)


@extend_schema(responses=PublicStatsSerializer, auth=[])
@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([])
def stats_api(request: Request) -> Response:
    """Anonymised counts per region, category and outcome; counts under the floor are null."""
    election = _election(request)
    stats = selectors.public_stats(election_id=election.pk)
    data = {
        "election": election.slug,
        "min_count": settings.PUBLIC_STATS_MIN_COUNT,
        "total": stats.total,
        "by_region": stats.by_region,
        "by_category": stats.by_category,
        "by_outcome": stats.by_outcome,
    }
    return Response(PublicStatsSerializer(data).data)
