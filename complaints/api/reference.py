"""Reference data for filing forms and clients: elections, territory, polling stations, categories.

Readable without credentials (an anonymous witness needs them to file). Names and help
texts come in the request language (Accept-Language, via LocaleMiddleware).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.api import serializers as s
from complaints.api.base import MAX_ID, ApiView, parse_id
from complaints.api.filters import ElectionQuery, PollingStationQuery, UnitQuery, parse_query
from complaints.api.pagination import Key
from complaints.api.permissions import AnonymousAllowed
from complaints.models import Category, Election, PollingStation, TerritorialUnit

ID_PARAM = OpenApiParameter("id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH)
LANGUAGE_NOTE = "Names are in the request language (Accept-Language: ru, kk or en)."


class ReferenceView(ApiView):
    permission_classes = [AnonymousAllowed]

    def page(self, request: Request, qs: Any, serializer_class: Any) -> Response:
        rows = self.paginate_queryset(qs)
        return self.get_paginated_response(serializer_class(rows, many=True, context={"request": request}).data)


class ElectionListView(ReferenceView):
    ordering = (Key("voting_day", desc=True), Key("id", desc=True))

    @extend_schema(
        operation_id="elections_list",
        summary="Elections",
        description=LANGUAGE_NOTE,
        parameters=[ElectionQuery],
        responses={200: s.ElectionSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = parse_query(ElectionQuery, request.query_params)
        qs = Election.objects.all()
        if "status" in query.validated_data:
            qs = qs.filter(status=query.validated_data["status"])
        return self.page(request, qs, s.ElectionSerializer)


class ElectionDetailView(ReferenceView):
    @extend_schema(
        operation_id="elections_retrieve",
        summary="One election",
        parameters=[ID_PARAM],
        responses={200: s.ElectionSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        election = Election.objects.filter(pk=parse_id(pk)).first()
        if election is None:
            raise exceptions.NotFound()
        return Response(s.ElectionSerializer(election).data)


class UnitListView(ReferenceView):
    ordering = (Key("path"),)

    @extend_schema(
        operation_id="units_list",
        summary="Territorial units (country, regions, districts)",
        description=LANGUAGE_NOTE,
        parameters=[UnitQuery],
        responses={200: s.TerritorialUnitSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = parse_query(UnitQuery, request.query_params)
        qs = query.apply(TerritorialUnit.objects.select_related("parent"))
        return self.page(request, qs, s.TerritorialUnitSerializer)


class PollingStationListView(ReferenceView):
    ordering = (Key("id"),)

    @extend_schema(
        operation_id="polling_stations_list",
        summary="Polling stations: search by number or address",
        parameters=[PollingStationQuery],
        responses={200: s.PollingStationSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = parse_query(PollingStationQuery, request.query_params)
        qs = query.apply(PollingStation.objects.select_related("unit"))
        return self.page(request, qs, s.PollingStationSerializer)


class CategoryListView(ReferenceView):
    ordering = (Key("sort_order"), Key("code"))

    @extend_schema(
        operation_id="categories_list",
        summary="Violation categories (active ones)",
        description=LANGUAGE_NOTE + " `help` explains when to use the category.",
        responses={200: s.CategorySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = Category.objects.filter(is_active=True).select_related("parent")
        return self.page(request, qs, s.CategorySerializer)
