"""Query parameters of the list endpoints, validated and turned into selector filters.

The filtering itself lives in ``selectors.complaint_queue_for``; this module only parses
the request (bad values answer 400 with the field named) and documents the parameters.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Q, QuerySet
from rest_framework import serializers

from complaints.api.pagination import Key
from complaints.models import ElectionStatus, PollingStation, Severity, Status, TerritorialUnit, UnitLevel
from complaints.selectors import QueueFilters

# name -> sort keys. The last key is unique, so every ordering is total and cursor-safe.
COMPLAINT_ORDERINGS: dict[str, tuple[Key, ...]] = {
    # The queue order: earliest due first (overdue work on top), no clock last, then priority.
    "due_at": (Key("due_at", nullable=True), Key("priority", desc=True), Key("id")),
    "-created_at": (Key("created_at", desc=True), Key("id", desc=True)),
    "created_at": (Key("created_at"), Key("id")),
    # For sync: with updated_since, walk forward by updated_at.
    "updated_at": (Key("updated_at"), Key("id")),
    "-updated_at": (Key("updated_at", desc=True), Key("id", desc=True)),
    "-severity": (Key("severity", desc=True), Key("due_at", nullable=True), Key("id")),
}


class ComplaintListQuery(serializers.Serializer[Any]):
    status = serializers.ListField(
        child=serializers.ChoiceField(choices=Status.choices),
        required=False,
        help_text="One or more statuses (repeat the parameter).",
    )
    category = serializers.CharField(
        allow_blank=True, required=False, max_length=60, help_text="A category code; includes its sub-categories."
    )
    region = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=40,
        help_text="A territorial unit code; includes the units below it.",
    )
    election = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    severity = serializers.ChoiceField(required=False, choices=Severity.choices)
    assignee = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=150,
        help_text="A username, `me` (the caller) or `none` (unassigned).",
    )
    overdue = serializers.BooleanField(required=False, default=False, help_text="Only complaints past their due time.")
    due_soon = serializers.BooleanField(
        required=False, default=False, help_text="Only complaints due within the next SLA_DUE_SOON_MINUTES."
    )
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only complaints changed at or after this time (for sync; use ordering=updated_at)."
    )
    q = serializers.CharField(
        allow_blank=True, required=False, max_length=60, help_text="A receipt code or a polling station number."
    )
    ordering = serializers.ChoiceField(
        required=False, choices=list(COMPLAINT_ORDERINGS), default="due_at", help_text="Sort order."
    )

    def to_filters(self) -> QueueFilters:
        data = self.validated_data
        return QueueFilters(
            status=data.get("status") or None,
            category=data.get("category") or None,
            region=data.get("region") or None,
            election=data.get("election"),
            severity=data.get("severity"),
            assignee=data.get("assignee") or None,
            overdue=data.get("overdue", False),
            due_soon=data.get("due_soon", False),
            updated_since=data.get("updated_since"),
            q=data.get("q") or None,
        )


Q_ = TypeVar("Q_", bound=serializers.Serializer[Any])


def parse_query(serializer_class: type[Q_], params: Any) -> Q_:
    """Validate query parameters; list values may be repeated or comma-separated."""
    data: dict[str, Any] = {}
    for name, field in serializer_class().fields.items():
        if name not in params:
            continue
        if isinstance(field, serializers.ListField):
            data[name] = [part for value in params.getlist(name) for part in value.split(",") if part]
        else:
            data[name] = params.get(name)
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer


class ElectionQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(required=False, choices=ElectionStatus.choices)


class UnitQuery(serializers.Serializer[Any]):
    search = serializers.CharField(
        allow_blank=True, required=False, max_length=100, help_text="Part of a name (any language) or a code."
    )
    parent = serializers.CharField(
        allow_blank=True, required=False, max_length=40, help_text="Only direct children of this unit code."
    )  # type: ignore[assignment]
    level = serializers.ChoiceField(required=False, choices=UnitLevel.choices)

    def apply(self, qs: QuerySet[TerritorialUnit]) -> QuerySet[TerritorialUnit]:
        data = self.validated_data
        if term := data.get("search", "").strip():
            qs = qs.filter(
                Q(code__iexact=term)
                | Q(name_ru__icontains=term)
                | Q(name_kk__icontains=term)
                | Q(name_en__icontains=term)
            )
        if data.get("parent"):
            qs = qs.filter(parent__code=data["parent"])
        if "level" in data:
            qs = qs.filter(level=data["level"])
        return qs


class PollingStationQuery(serializers.Serializer[Any]):
    search = serializers.CharField(
        allow_blank=True, required=False, max_length=100, help_text="A station number (exact) or part of its address."
    )
    unit = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=40,
        help_text="A territorial unit code; includes the units below it.",
    )

    def apply(self, qs: QuerySet[PollingStation]) -> QuerySet[PollingStation]:
        data = self.validated_data
        if term := data.get("search", "").strip():
            qs = qs.filter(Q(number=term) | Q(address__icontains=term))
        if data.get("unit"):
            path = TerritorialUnit.objects.filter(code=data["unit"]).values_list("path", flat=True).first()
            qs = qs.filter(unit__path__startswith=path) if path else qs.none()
        return qs
