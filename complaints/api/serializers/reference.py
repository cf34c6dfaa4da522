"""Serializers of the reference data: elections, territorial units, polling stations, categories."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from complaints.models import (
    Category,
    Election,
    PollingStation,
    TerritorialUnit,
)


class ElectionSerializer(serializers.ModelSerializer[Election]):
    name = serializers.CharField(read_only=True, help_text="In the request language (Accept-Language).")

    class Meta:
        model = Election
        fields = ["id", "slug", "name", "kind", "voting_day", "country", "status"]
        read_only_fields = fields


class TerritorialUnitSerializer(serializers.ModelSerializer[TerritorialUnit]):
    name = serializers.CharField(read_only=True, help_text="In the request language (Accept-Language).")
    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = TerritorialUnit
        fields = ["code", "name", "level", "parent", "path"]
        read_only_fields = fields


class PollingStationSerializer(serializers.ModelSerializer[PollingStation]):
    unit: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PollingStation
        fields = ["id", "number", "address", "unit", "latitude", "longitude"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer[Category]):
    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )
    name = serializers.CharField(read_only=True, help_text="In the request language (Accept-Language).")
    help = serializers.CharField(source="help_text", read_only=True, help_text="Guidance for filers, localised.")

    class Meta:
        model = Category
        fields = ["code", "parent", "name", "help", "default_severity", "legal_reference"]
        read_only_fields = fields


# --- complaints -----------------------------------------------------------------
