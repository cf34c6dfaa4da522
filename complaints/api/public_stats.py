"""The public statistics API: anonymised counts per region, category and outcome, no login."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import selectors
from complaints.api.throttling import PublicStatsThrottle


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
    by_channel = PublicCellSerializer(many=True, help_text="how complaints came in: web, api, telegram, sms, phone...")


@extend_schema(responses=PublicStatsSerializer, auth=[])
@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([PublicStatsThrottle])
def stats_api(request: Request) -> Response:
    """Anonymised counts per region, category, outcome and channel; counts under the floor are null."""
    election = selectors.public_election(slug=request.query_params.get("election"))
    if election is None:
        raise Http404("No such election.")
    stats = selectors.public_stats(election_id=election.pk)
    data = {
        "election": election.slug,
        "min_count": settings.PUBLIC_STATS_MIN_COUNT,
        "total": stats.total,
        "by_region": stats.by_region,
        "by_category": stats.by_category,
        "by_outcome": stats.by_outcome,
        "by_channel": stats.by_channel,
    }
    return Response(PublicStatsSerializer(data).data)
