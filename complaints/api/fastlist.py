"""The queue's rows without model instances: ``ComplaintSerializer`` output, built from ``values()``.

A page of 50 complaints through ModelSerializer instantiates ~300 model objects and runs
~1,300 field calls; on the reviewer queue that was two thirds of the request's CPU. Here
one ``values()`` query reads the complaint columns, the related display values (category,
station, unit, assignee) come from small per-process caches, and the rows are assembled
directly. The columns and the field order come from ``ComplaintSerializer`` itself; only
the fields that are not a plain column have a renderer here. The output is identical to
``ComplaintSerializer(many=True)`` (tests/api/test_fastlist.py compares them), which stays
the documented schema.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import get_language
from rest_framework import serializers

from complaints import workflow
from complaints.access import roles_for
from complaints.api.serializers import ComplaintSerializer, actions_payload
from complaints.models import Category, Complaint, PollingStation, Reporter, Status, TerritorialUnit

# Fields of ComplaintSerializer that are not a plain column of the complaint table: each has
# its renderer in RowRenderer.SPECIAL and names the columns it reads. Every other serializer
# field is read straight from its column (datetimes as DRF writes them), so a plain field
# added to ComplaintSerializer.Meta.fields appears here with no edit.
SPECIAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "election": ("election_id",),
    "category": ("category_id",),
    "category_name": ("category_id",),
    "polling_station": ("polling_station_id",),
    "unit": ("unit_id",),
    "status_label": ("status",),
    "assignee": ("assignee_id",),
    "sla_paused": ("sla_paused_at",),
    "duplicate_of": ("duplicate_of_id",),
    "available_actions": ("status", "unit_path"),
}


def _serializer_fields() -> dict[str, Any]:
    return dict(ComplaintSerializer().fields)


@functools.lru_cache(maxsize=8)
def _field_kinds(fields: tuple[str, ...]) -> tuple[tuple[str, bool, bool], ...]:
    """(field, read straight from its column, is a datetime) in the serializer's order.

    Keyed by the serializer's field list, so it is computed once per process, not per
    request (instantiating the serializer deep-copies every field).
    """
    return tuple(
        (name, name not in SPECIAL_COLUMNS, isinstance(field, serializers.DateTimeField))
        for name, field in _serializer_fields().items()
    )


def field_kinds() -> tuple[tuple[str, bool, bool], ...]:
    return _field_kinds(tuple(ComplaintSerializer.Meta.fields))


def plain_fields() -> dict[str, bool]:
    """Serializer field name -> whether it is a datetime, for the fields read straight from a column."""
    return {name: is_datetime for name, is_plain, is_datetime in field_kinds() if is_plain}


def _columns() -> tuple[str, ...]:
    # Only the complaint table's own columns: joining the five related tables for display made
    # PostgreSQL plan a 7-table query per page (2.5 ms of planning, 3x the execution time).
    wanted = ["id", *plain_fields()]
    for columns in SPECIAL_COLUMNS.values():
        wanted += columns
    return tuple(dict.fromkeys(wanted))


COLUMNS = _columns()
DISPLAY_TTL_SECONDS = 60.0


class DisplayCache:
    """id -> display values (codes, names, addresses) of a small, slowly changing table.

    Per process, refreshed after DISPLAY_TTL_SECONDS: a renamed category shows its new name
    within a minute. Only used to *show* related values, never to decide anything.
    """

    def __init__(self, model: type[Model], fields: tuple[str, ...]) -> None:
        self.model, self.fields = model, fields
        self._rows: dict[int, tuple[float, tuple[Any, ...]]] = {}

    def clear(self) -> None:
        self._rows.clear()

    def get_many(self, ids: set[int]) -> dict[int, tuple[Any, ...]]:
        now = time.monotonic()
        found = {i: row[1] for i in ids if (row := self._rows.get(i)) and row[0] > now}
        missing = ids - found.keys()
        if missing:
            if len(self._rows) > 50_000:
                self._rows.clear()
            manager = self.model._default_manager
            for pk, *values in manager.filter(pk__in=missing).values_list("pk", *self.fields):
                found[pk] = tuple(values)
                self._rows[pk] = (now + DISPLAY_TTL_SECONDS, tuple(values))
        return found


CATEGORIES = DisplayCache(Category, ("code", "name_ru", "name_kk", "name_en"))
STATIONS = DisplayCache(PollingStation, ("number", "address"))
UNITS = DisplayCache(TerritorialUnit, ("code",))
USERS = DisplayCache(get_user_model(), ("username",))


def clear_caches() -> None:
    for cache in (CATEGORIES, STATIONS, UNITS, USERS):
        cache.clear()


def rows_queryset(qs: QuerySet[Complaint]) -> QuerySet[Any]:
    # The reporter's account (for the caller's complainant role) by a per-row primary-key probe.
    reporter = Reporter.objects.filter(complaint_id=OuterRef("pk")).values("user_id")[:1]
    return qs.values(*COLUMNS, reporter_user_id=Subquery(reporter))


def _iso(value: datetime | None, tz: tzinfo) -> str | None:
    """What DRF's DateTimeField writes (ISO 8601 in the current time zone, "Z" for UTC), minus its overhead."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _category_name(names: tuple[Any, ...], language: str) -> str:
    by_language = dict(zip(("ru", "kk", "en"), names, strict=True))
    for candidate in (language, "ru", "en"):
        if by_language.get(candidate):
            return str(by_language[candidate])
    return ""


@dataclass
class Related:
    """The display values one page needs, fetched once per page (or from the caches)."""

    categories: dict[int, tuple[Any, ...]]
    stations: dict[int, tuple[Any, ...]]
    units: dict[int, tuple[Any, ...]]
    users: dict[int, tuple[Any, ...]]
    duplicates: dict[int, str]

    @classmethod
    def for_rows(cls, rows: list[dict[str, Any]]) -> Related:
        def ids(column: str) -> set[int]:
            return {row[column] for row in rows if row[column] is not None}

        originals = ids("duplicate_of_id")
        return cls(
            categories=CATEGORIES.get_many(ids("category_id")),
            stations=STATIONS.get_many(ids("polling_station_id")),
            units=UNITS.get_many(ids("unit_id")),
            users=USERS.get_many(ids("assignee_id")),
            duplicates=dict(Complaint.objects.filter(pk__in=originals).values_list("pk", "code")) if originals else {},
        )


class RowRenderer:
    """Turns ``rows_queryset`` rows into ComplaintSerializer dicts for one reader."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.language = (get_language() or "ru")[:2]
        self.tz = timezone.get_current_timezone()
        self.status_labels = {s.value: str(s.label) for s in Status}
        self._actions: dict[tuple[str, frozenset[workflow.Role]], list[dict[str, Any]]] = {}
        # (field, column read as is, is a datetime, renderer): resolved once per reader, not per row;
        # a field that is not a plain column without a renderer fails here, not on some row.
        self.plan: list[tuple[str, bool, bool, Callable[[dict[str, Any], Related], Any] | None]] = [
            (name, is_plain, is_plain and is_datetime, None if is_plain else getattr(self, f"_{name}"))
            for name, is_plain, is_datetime in field_kinds()
        ]

    def actions(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        # roles_for itself, on a stand-in carrying the two attributes it reads.
        stand_in = SimpleNamespace(
            unit_path=row["unit_path"], reporter=SimpleNamespace(user_id=row["reporter_user_id"])
        )
        roles = frozenset(roles_for(self.user, stand_in))  # type: ignore[arg-type]
        key = (row["status"], roles)
        if key not in self._actions:
            self._actions[key] = actions_payload(SimpleNamespace(status=row["status"]), set(roles))  # type: ignore[arg-type]
        return self._actions[key]

    def render(self, row: dict[str, Any], related: Related) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, is_plain, is_datetime, renderer in self.plan:
            if is_plain:
                out[name] = _iso(row[name], self.tz) if is_datetime else row[name]
            else:
                out[name] = renderer(row, related)  # type: ignore[misc]  # set for every non-plain field
        return out

    # One renderer per SPECIAL_COLUMNS entry, named after the field.
    def _election(self, row: dict[str, Any], related: Related) -> Any:
        return row["election_id"]

    def _category(self, row: dict[str, Any], related: Related) -> Any:
        return related.categories[row["category_id"]][0]

    def _category_name(self, row: dict[str, Any], related: Related) -> Any:
        return _category_name(related.categories[row["category_id"]][1:], self.language)

    def _polling_station(self, row: dict[str, Any], related: Related) -> Any:
        if row["polling_station_id"] is None:
            return None
        number, address = related.stations[row["polling_station_id"]]
        return {"id": row["polling_station_id"], "number": number, "address": address}

    def _unit(self, row: dict[str, Any], related: Related) -> Any:
        unit = related.units.get(row["unit_id"]) if row["unit_id"] is not None else None
        return unit[0] if unit else None

    def _status_label(self, row: dict[str, Any], related: Related) -> Any:
        return self.status_labels[row["status"]]

    def _assignee(self, row: dict[str, Any], related: Related) -> Any:
        assignee = related.users.get(row["assignee_id"]) if row["assignee_id"] is not None else None
        return assignee[0] if assignee else None

    def _sla_paused(self, row: dict[str, Any], related: Related) -> Any:
        return row["sla_paused_at"] is not None

    def _duplicate_of(self, row: dict[str, Any], related: Related) -> Any:
        return related.duplicates.get(row["duplicate_of_id"]) if row["duplicate_of_id"] else None

    def _available_actions(self, row: dict[str, Any], related: Related) -> Any:
        return self.actions(row)

    def render_all(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        related = Related.for_rows(rows)
        return [self.render(row, related) for row in rows]
