"""Query parameters of the list endpoints, validated and turned into selector filters.

The filtering itself lives in ``selectors.complaint_queue_for``; this module only parses
the request (bad values answer 400 with the field named) and documents the parameters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints import textsearch
from complaints.api.pagination import Key
from complaints.models import Channel, ElectionStatus, PollingStation, Severity, Status, TerritorialUnit, UnitLevel
from complaints.selectors import NEXT_DEADLINE, QueueFilters

DEADLINE_WITHIN = r"^[1-9][0-9]{0,3}[mhd]$"


def parse_within(value: str | None) -> timedelta | None:
    """``24h`` -> 24 hours (m, h, d); None when absent."""
    if not value:
        return None
    unit = {"m": "minutes", "h": "hours", "d": "days"}[value[-1]]
    return timedelta(**{unit: int(value[:-1])})


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
    # The next running statutory deadline (filing, answer, appeal) first; none last.
    "next_deadline": (Key("next_deadline", nullable=True, expression=NEXT_DEADLINE), Key("id")),
}


# With a search (``q``): the best match first, then the queue order (selectors.queue._searched).
RANK_ORDERING = "rank"


# Times a filter may name: any the database and the time-zone conversions can hold, with a margin
# (year 1 in UTC is year 0 in Almaty: a 500 before this bound existed). The schema promises the
# years 1971..8999 in any offset, which always falls inside.
EARLIEST_FILTER_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_FILTER_TIME = datetime(9000, 1, 2, tzinfo=UTC)
BOUNDED_YEAR_PATTERN = r"^(197[1-9]|19[89][0-9]|[2-8][0-9]{3})-"


@extend_schema_field({"type": "string", "format": "date-time", "pattern": BOUNDED_YEAR_PATTERN})
class BoundedDateTimeField(serializers.DateTimeField):
    """A DateTimeField refusing (400, naming the parameter) times before 1970 or after 9000."""

    default_error_messages = {
        "out_of_range": _("Give a time from 1970 on, with its time zone, e.g. 2024-03-01T00:00:00Z."),
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        try:
            aware = super().enforce_timezone(value)
            within = EARLIEST_FILTER_TIME <= aware < LATEST_FILTER_TIME
        except OverflowError:  # DRF converts to UTC to check the time exists: year 1 in Almaty does not
            within = False
        if not within:
            self.fail("out_of_range")
        return aware


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
    channel = serializers.ChoiceField(
        required=False,
        choices=Channel.choices,
        help_text="The channel it came in by: web, api, telegram, sms, phone...",
    )
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
    updated_since = BoundedDateTimeField(
        required=False, help_text="Only complaints changed at or after this time (for sync; use ordering=updated_at)."
    )
    q = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=textsearch.QUERY_MAX_LENGTH,
        help_text="Search: words of the description, place, polling station (number, address), territorial "
        "unit names in ru/kk/en (Russian word forms and near spellings of names found), a receipt code with "
        "or without dashes, and (staff) notes. Every word must match; combines with every other filter. "
        "Without an explicit `ordering`, the best matches come first (`rank`) when they are at most 2,000 in "
        "the caller's scope and filters; more are in the queue order, and the answer says so (`ranked`: false, "
        "`ranking_note`): add a word to narrow (docs/search.md).",
    )
    deadline_within = serializers.RegexField(
        DEADLINE_WITHIN,
        required=False,
        help_text="Only complaints with a statutory deadline (filing, answer, appeal) due within this: "
        "e.g. `24h`, `90m`, `3d`.",
    )
    ordering = serializers.ChoiceField(
        required=False,
        choices=[*COMPLAINT_ORDERINGS, RANK_ORDERING],
        help_text="Sort order: `due_at` (the queue order) by default; with `q`, `rank` (best match first).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("ordering") == RANK_ORDERING and not (attrs.get("q") or "").strip():
            raise serializers.ValidationError({"ordering": [_("Order by rank only with a search: give q as well.")]})
        if not attrs.get("ordering"):
            attrs["ordering"] = RANK_ORDERING if (attrs.get("q") or "").strip() else "due_at"
        return attrs

    def to_filters(self) -> QueueFilters:
        data = self.validated_data
        return QueueFilters(
            status=data.get("status") or None,
            category=data.get("category") or None,
            region=data.get("region") or None,
            election=data.get("election"),
            severity=data.get("severity"),
            channel=data.get("channel") or None,
            assignee=data.get("assignee") or None,
            overdue=data.get("overdue", False),
            due_soon=data.get("due_soon", False),
            updated_since=data.get("updated_since"),
            q=data.get("q") or None,
            deadline_within=parse_within(data.get("deadline_within")),
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
