"""The staff exports' rows: the queue's complaints as plain values, read in chunks so memory stays flat.

The columns are defined once (``EXPORT_COLUMNS``, ``IDENTITY_COLUMNS``); the CSV and XLSX
writers (``complaints/exports.py``), the API and the docs read them from here. Related display
values of small tables (elections, categories, territorial units) come from one dictionary
each, read once per export; the larger ones (polling stations, users, the original of a
duplicate) are joined in the one streamed query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Complaint, Election, Status, TerritorialUnit, UnitLevel
from complaints.models.taxonomy import localized

# Rows fetched per round trip (a server-side cursor on PostgreSQL).
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ExportColumn:
    name: str  # the header, stable across languages (scripts read it)
    kind: str  # "text", "integer", "datetime" (ISO 8601 with its offset), "boolean"
    meaning: Any  # for the docs and the page (lazy translation)


EXPORT_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("code", "text", _("Receipt code of the complaint")),
    ExportColumn("election", "text", _("Election (short name)")),
    ExportColumn("category", "text", _("Violation category code")),
    ExportColumn("category_name", "text", _("Violation category")),
    ExportColumn("status", "text", _("Review status (code)")),
    ExportColumn("status_label", "text", _("Review status")),
    ExportColumn("severity", "integer", _("Severity, 1 (low) to 4 (urgent)")),
    ExportColumn("region", "text", _("Region code")),
    ExportColumn("region_name", "text", _("Region")),
    ExportColumn("district", "text", _("District code")),
    ExportColumn("district_name", "text", _("District")),
    ExportColumn("polling_station", "text", _("Polling station number")),
    ExportColumn("polling_station_address", "text", _("Polling station address")),
    ExportColumn("place", "text", _("Place, as the reporter wrote it")),
    ExportColumn("occurred_at", "datetime", _("When it happened")),
    ExportColumn("created_at", "datetime", _("When it was filed")),
    ExportColumn("due_at", "datetime", _("Review due by (SLA)")),
    ExportColumn("statutory_deadline", "datetime", _("Next statutory deadline of the case")),
    ExportColumn("assignee", "text", _("Assigned reviewer (username)")),
    ExportColumn("channel", "text", _("How it was filed")),
    ExportColumn("duplicate_of", "text", _("Receipt code of the original, for a duplicate")),
    ExportColumn("description", "text", _("What happened, as the reporter wrote it")),
)
# Only for holders of the identity permission, and every complaint exported with them is audited.
IDENTITY_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("reporter_anonymous", "boolean", _("Filed anonymously")),
    ExportColumn("reporter_name", "text", _("Reporter's full name")),
    ExportColumn("reporter_email", "text", _("Reporter's email")),
    ExportColumn("reporter_phone", "text", _("Reporter's phone")),
)

_VALUES = (
    "code",
    "election_id",
    "category_id",
    "status",
    "severity",
    "unit_id",
    "unit_path",
    "polling_station__number",
    "polling_station__address",
    "place_text",
    "occurred_at",
    "created_at",
    "due_at",
    "next_case_deadline",
    "assignee__username",
    "channel",
    "duplicate_of__code",
    "description",
)
_IDENTITY_VALUES = ("reporter__is_anonymous", "reporter__full_name", "reporter__email", "reporter__phone")


def export_columns(*, identity: bool) -> tuple[ExportColumn, ...]:
    return EXPORT_COLUMNS + IDENTITY_COLUMNS if identity else EXPORT_COLUMNS


@dataclass
class _Lookups:
    """id -> display values of the small tables, read once per export."""

    elections: dict[int, str]
    categories: dict[int, tuple[str, str]]
    units: dict[int, tuple[str, str, str]]  # code, level, name
    unit_names: dict[str, str]  # code -> name
    statuses: dict[str, str]

    @classmethod
    def load(cls) -> _Lookups:
        units = {u.pk: (u.code, u.level, u.name) for u in TerritorialUnit.objects.all()}
        return cls(
            elections=dict(Election.objects.values_list("pk", "slug")),
            categories={c.pk: (c.code, localized(c, "name")) for c in Category.objects.all()},
            units=units,
            unit_names={code: name for code, _level, name in units.values()},
            statuses={s.value: str(s.label) for s in Status},
        )


def _region_code(unit_path: str) -> str:
    """ "kz/pav/pav-ekibastuz/" -> "pav": the first level below the country."""
    parts = (unit_path or "").strip("/").split("/")
    return parts[1] if len(parts) > 1 else ""


def _row(values: dict[str, Any], lookups: _Lookups, identity: bool, revealed: set[str]) -> list[Any]:
    category = lookups.categories.get(values["category_id"], ("", ""))
    region = _region_code(values["unit_path"])
    unit = lookups.units.get(values["unit_id"]) if values["unit_id"] else None
    district = unit if unit and unit[1] == UnitLevel.DISTRICT else None
    row: list[Any] = [
        values["code"],
        lookups.elections.get(values["election_id"], ""),
        category[0],
        category[1],
        values["status"],
        lookups.statuses.get(values["status"], values["status"]),
        values["severity"],
        region,
        lookups.unit_names.get(region, ""),
        district[0] if district else "",
        district[2] if district else "",
        values["polling_station__number"] or "",
        values["polling_station__address"] or "",
        values["place_text"],
        values["occurred_at"],
        values["created_at"],
        values["due_at"],
        values["next_case_deadline"],
        values["assignee__username"] or "",
        values["channel"],
        values["duplicate_of__code"] or "",
        values["description"],
    ]
    if identity:
        shown = values["code"] in revealed
        row += [
            values["reporter__is_anonymous"] if shown else None,
            (values["reporter__full_name"] or "") if shown else "",
            (values["reporter__email"] or "") if shown else "",
            (values["reporter__phone"] or "") if shown else "",
        ]
    return row


def export_rows(
    queue: QuerySet[Complaint], *, identity: bool = False, revealed: Iterable[str] = ()
) -> Iterator[list[Any]]:
    """``queue`` (a queue queryset, in its order) as rows of ``export_columns(identity=...)``.

    ``queue`` must carry ``next_case_deadline`` (``selectors.queue_page_rows`` does). Identity
    values are filled only for the receipt codes in ``revealed`` (those whose reveal the service
    has just audited); the other rows keep the columns empty.
    """
    lookups = _Lookups.load()
    fields = _VALUES + _IDENTITY_VALUES if identity else _VALUES
    shown = set(revealed)
    for values in queue.values(*fields).iterator(chunk_size=CHUNK_SIZE):
        yield _row(values, lookups, identity, shown)


def export_ids(queue: QuerySet[Complaint], limit: int) -> list[int]:
    """The ids of ``queue``'s complaints, at most ``limit`` + 1 (the caller refuses more than ``limit``)."""
    return list(queue.values_list("pk", flat=True)[: limit + 1])


def iso(value: datetime | None) -> str:
    """ISO 8601 in the current time zone, to the second, with its offset ("" for none)."""
    if value is None:
        return ""
    return timezone.localtime(value).isoformat(timespec="seconds")
