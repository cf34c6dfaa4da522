"""Importing polling stations (and the regions and districts they hang off) from CSV.

All or nothing: every row is checked first, every problem is reported with its line
and column, and if anything is wrong nothing is written. Re-importing a file updates
the stations it names (matched on district + number) instead of duplicating them.
The format is documented in docs/import.md and in ``manage.py import_polling_stations --help``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.errors import ServiceError
from complaints.models import PollingStation, TerritorialUnit, UnitLevel
from complaints.services.search import search_index_refresh

REQUIRED_COLUMNS = ("region_code", "district_code", "station_number", "address")
NAME_COLUMNS = tuple(f"{level}_name_{lang}" for level in ("region", "district") for lang in ("ru", "kk", "en"))
OPTIONAL_COLUMNS = (*NAME_COLUMNS, "latitude", "longitude")
ALL_COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
DELIMITERS = (",", ";", "\t")

CODE_RE = re.compile(r"^[a-z0-9_-]+$")
CODE_MAX = TerritorialUnit._meta.get_field("code").max_length or 40
NAME_MAX = TerritorialUnit._meta.get_field("name_ru").max_length or 200
NUMBER_MAX = PollingStation._meta.get_field("number").max_length or 20
ADDRESS_MAX = PollingStation._meta.get_field("address").max_length or 300
COORD_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class SourceRow:
    """One data row as read: its line in the file and its values by column name."""

    line: int
    values: Mapping[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("line %(line)s, column %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class ImportFailed(ServiceError):
    """The file has problems; nothing was imported. ``errors`` lists every one of them."""

    code = "import_invalid"

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(
            _("%(count)s problem(s) found; nothing was imported.") % {"count": len(errors)}
            + " "
            + "; ".join(str(e) for e in errors[:20])
        )
        self.errors = list(errors)


@dataclass
class ImportResult:
    regions_created: list[str] = field(default_factory=list)
    districts_created: list[str] = field(default_factory=list)
    stations_created: int = 0
    stations_updated: int = 0
    stations_unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.stations_created + self.stations_updated + self.stations_unchanged


@dataclass(frozen=True)
class StationRow:
    """A row that passed the checks that need no database."""

    line: int
    region_code: str
    district_code: str
    number: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    region_names: dict[str, str]
    district_names: dict[str, str]


# --- reading the file ---------------------------------------------------------


def read_csv(data: bytes) -> list[SourceRow]:
    """Decode (UTF-8, with or without BOM), pick the delimiter, check the header, return the rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            [
                RowError(
                    line,
                    "",
                    _(
                        "the file is not UTF-8 text. Save it as “CSV UTF-8” (in Excel: Save As > "
                        "CSV UTF-8; in LibreOffice: character set Unicode (UTF-8))."
                    ),
                )
            ]
        ) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise ImportFailed([RowError(1, "", _("the file is empty; it needs a header row and at least one row."))])
    delimiter = max(DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[SourceRow] = []
    previous_end = 0
    try:
        for cells in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = _check_header(cells, line)
                continue
            if len(cells) > len(header):
                raise ImportFailed([_too_many_cells(line, len(cells), len(header), delimiter)])
            rows.append(SourceRow(line, dict(zip(header, cells, strict=False))))
    except csv.Error as exc:
        raise ImportFailed([RowError(reader.line_num, "", _("the CSV is malformed: %s.") % exc)]) from None
    if not rows:
        raise ImportFailed([RowError(1, "", _("the file has a header but no rows to import."))])
    return rows


def _check_header(cells: list[str], line: int) -> list[str]:
    header = [cell.strip().lower() for cell in cells]
    errors = []
    unknown = [name for name in header if name not in ALL_COLUMNS]
    if unknown:
        errors.append(
            RowError(
                line,
                ", ".join(unknown),
                _("unknown column(s). Check the spelling; the known columns are: %(known)s.")
                % {"known": ", ".join(ALL_COLUMNS)},
            )
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        errors.append(
            RowError(
                line,
                ", ".join(missing),
                _("required column(s) missing from the header row. The header must name at least: %(required)s.")
                % {"required": ", ".join(REQUIRED_COLUMNS)},
            )
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        errors.append(RowError(line, ", ".join(duplicated), _("column appears more than once in the header.")))
    if errors:
        raise ImportFailed(errors)
    return header


def _too_many_cells(line: int, got: int, expected: int, delimiter: str) -> RowError:
    shown = {"\t": "tab"}.get(delimiter, delimiter)
    return RowError(
        line,
        "",
        _(
            "%(got)s values but the header has %(expected)s columns. A value containing “%(delimiter)s” "
            "must be put in double quotes."
        )
        % {"got": got, "expected": expected, "delimiter": shown},
    )


# --- checking rows ------------------------------------------------------------


def _check_code(row: SourceRow, column: str, errors: list[RowError]) -> str:
    code = row.get(column).lower()
    if not code:
        errors.append(RowError(row.line, column, _("is empty; give the unit's code, e.g. “pav” or “pav-ekibastuz”.")))
    elif len(code) > CODE_MAX or not CODE_RE.match(code):
        errors.append(
            RowError(
                row.line,
                column,
                _("“%(value)s” is not a valid code: use up to %(max)s Latin letters, digits, “-” or “_”.")
                % {"value": code, "max": CODE_MAX},
            )
        )
    return code


def _check_text(row: SourceRow, column: str, limit: int, errors: list[RowError], hint: str = "") -> str:
    value = " ".join(row.get(column).split())
    if hint and not value:
        errors.append(RowError(row.line, column, hint))
    elif len(value) > limit:
        errors.append(
            RowError(
                row.line,
                column,
                _("is %(length)s characters long; at most %(max)s are allowed.") % {"length": len(value), "max": limit},
            )
        )
    return value


def _check_coordinate(row: SourceRow, column: str, limit: int, errors: list[RowError]) -> Decimal | None:
    raw = row.get(column).replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not -limit <= value <= limit:
        errors.append(
            RowError(
                row.line,
                column,
                _("“%(value)s” is not a number between -%(limit)s and %(limit)s (decimal degrees, e.g. 52.287303).")
                % {"value": row.get(column), "limit": limit},
            )
        )
        return None
    return value.quantize(COORD_PLACES, rounding=ROUND_HALF_UP)


def check_row(row: SourceRow) -> tuple[StationRow | None, list[RowError]]:
    """The checks one row can pass or fail on its own."""
    errors: list[RowError] = []
    region = _check_code(row, "region_code", errors)
    district = _check_code(row, "district_code", errors)
    if region and region == district:
        errors.append(
            RowError(row.line, "district_code", _("is the same as region_code; a district needs its own code."))
        )
    # "№512" and "512" are the same station: the sign is common in Russian-language lists.
    number = _check_text(row, "station_number", NUMBER_MAX, errors, _("is empty; give the station's number, e.g. 512."))
    number = number.lstrip("№#").strip()
    if row.get("station_number") and not number:
        errors.append(RowError(row.line, "station_number", _("has no number after “№”.")))
    address = _check_text(
        row,
        "address",
        ADDRESS_MAX,
        errors,
        _("is empty; give the station's address, e.g. “г. Павлодар, ул. Кривенко, 25”."),
    )
    names = {column: _check_text(row, column, NAME_MAX, errors) for column in NAME_COLUMNS}
    latitude = _check_coordinate(row, "latitude", 90, errors)
    longitude = _check_coordinate(row, "longitude", 180, errors)
    if bool(row.get("latitude")) != bool(row.get("longitude")):
        missing = "latitude" if not row.get("latitude") else "longitude"
        errors.append(RowError(row.line, missing, _("give both latitude and longitude, or neither.")))
    if errors:
        return None, errors
    return StationRow(
        line=row.line,
        region_code=region,
        district_code=district,
        number=number,
        address=address,
        latitude=latitude,
        longitude=longitude,
        region_names={lang: names[f"region_name_{lang}"] for lang in ("ru", "kk", "en")},
        district_names={lang: names[f"district_name_{lang}"] for lang in ("ru", "kk", "en")},
    ), []


@dataclass
class _Seen:
    """What earlier rows said about a unit, to catch rows that contradict each other."""

    line: int
    parent: str
    names: dict[str, str]


def _check_consistency(rows: Sequence[StationRow]) -> list[RowError]:
    errors: list[RowError] = []
    regions: dict[str, _Seen] = {}
    districts: dict[str, _Seen] = {}
    stations: dict[tuple[str, str], int] = {}
    for row in rows:
        errors += _same_unit(row, "region", row.region_code, "", row.region_names, regions)
        errors += _same_unit(row, "district", row.district_code, row.region_code, row.district_names, districts)
        for column, code, other in (
            ("region_code", row.region_code, districts),
            ("district_code", row.district_code, regions),
        ):
            if code in other:
                errors.append(
                    RowError(
                        row.line,
                        column,
                        _("“%(code)s” is used both as a region and as a district code (see line %(first)s).")
                        % {"code": code, "first": other[code].line},
                    )
                )
        key = (row.district_code, row.number)
        if key in stations:
            errors.append(
                RowError(
                    row.line,
                    "station_number",
                    _("station %(number)s of %(district)s is already on line %(first)s; list each station once.")
                    % {"number": row.number, "district": row.district_code, "first": stations[key]},
                )
            )
        stations.setdefault(key, row.line)
    return errors


def _same_unit(
    row: StationRow, level: str, code: str, parent: str, names: dict[str, str], seen: dict[str, _Seen]
) -> list[RowError]:
    first = seen.get(code)
    if first is None:
        seen[code] = _Seen(row.line, parent, dict(names))
        return []
    errors = []
    if parent != first.parent:
        errors.append(
            RowError(
                row.line,
                "region_code",
                _("district %(code)s is under region %(parent)s here but under %(first_parent)s on line %(first)s.")
                % {"code": code, "parent": parent, "first_parent": first.parent, "first": first.line},
            )
        )
    for lang, name in names.items():
        if name and first.names[lang] and name != first.names[lang]:
            errors.append(
                RowError(
                    row.line,
                    f"{level}_name_{lang}",
                    _("“%(name)s” differs from “%(first_name)s” given for %(code)s on line %(first)s.")
                    % {"name": name, "first_name": first.names[lang], "code": code, "first": first.line},
                )
            )
        first.names[lang] = first.names[lang] or name
    return errors


def _check_against_database(rows: Sequence[StationRow], country: TerritorialUnit) -> list[RowError]:
    """Units the file names must either exist where the file puts them, or be creatable (have a ru name)."""
    codes = {r.region_code for r in rows} | {r.district_code for r in rows}
    existing = {u.code: u for u in TerritorialUnit.objects.filter(code__in=codes).select_related("parent")}
    names = {
        **_merged_names(rows, "region_names", "region_code"),
        **_merged_names(rows, "district_names", "district_code"),
    }
    errors: list[RowError] = []
    checked: set[str] = set()
    for row in rows:
        for column, code, level, parent_code in (
            ("region_code", row.region_code, UnitLevel.REGION, country.code),
            ("district_code", row.district_code, UnitLevel.DISTRICT, row.region_code),
        ):
            if code in checked:
                continue
            checked.add(code)
            problem = _unit_problem(code, level, existing.get(code), parent_code, names[code])
            if problem:
                errors.append(RowError(row.line, column, problem))
    return errors


def _unit_problem(code: str, level: str, unit: TerritorialUnit | None, parent_code: str, names: dict[str, str]) -> str:
    if unit is None:
        if names["ru"]:
            return ""
        column = "region_name_ru" if level == UnitLevel.REGION else "district_name_ru"
        return _(
            "there is no unit “%(code)s” yet; to create it, fill %(column)s (and, better, the kk and en names) "
            "on at least one of its rows, or correct the code."
        ) % {"code": code, "column": column}
    where = unit.parent.code if unit.parent else "-"
    if unit.level == level and where == parent_code:
        return ""
    return _(
        "“%(code)s” already exists as a %(level)s under “%(where)s”, not as a %(expected)s under “%(parent)s”. "
        "Use another code, or fix the parent."
    ) % {
        "code": code,
        "level": UnitLevel(unit.level).label,
        "where": where,
        "expected": UnitLevel(level).label,
        "parent": parent_code,
    }


def _validate(rows: Sequence[SourceRow], country: TerritorialUnit) -> list[StationRow]:
    checked: list[StationRow] = []
    errors: list[RowError] = []
    for row in rows:
        station, row_errors = check_row(row)
        errors += row_errors
        if station is not None:
            checked.append(station)
    errors += _check_consistency(checked)
    errors += _check_against_database(checked, country)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))
    return checked


# --- writing ------------------------------------------------------------------


def _country(code: str) -> TerritorialUnit:
    unit = TerritorialUnit.objects.filter(code=code.lower()).first()
    if unit is None:
        raise ImportFailed(
            [
                RowError(
                    0,
                    "",
                    _(
                        "there is no territorial unit with code “%(code)s” to import under. Create the country in "
                        "the admin (Territorial units) or run “manage.py seed_demo”, or pass --country with an "
                        "existing code."
                    )
                    % {"code": code},
                )
            ]
        )
    return unit


def _ensure_unit(
    code: str, level: str, parent: TerritorialUnit, names: dict[str, str], created: list[str]
) -> TerritorialUnit:
    unit = TerritorialUnit.objects.filter(code=code).first()
    if unit is not None:
        return unit
    unit = TerritorialUnit(
        parent=parent, code=code, level=level, name_ru=names["ru"], name_kk=names["kk"], name_en=names["en"]
    )
    unit.save()
    created.append(code)
    return unit


def _merged_names(rows: Iterable[StationRow], attribute: str, code_attribute: str) -> dict[str, dict[str, str]]:
    """Per unit code, the first non-empty name in each language across its rows."""
    merged: dict[str, dict[str, str]] = {}
    for row in rows:
        names = merged.setdefault(getattr(row, code_attribute), {"ru": "", "kk": "", "en": ""})
        for lang, name in getattr(row, attribute).items():
            names[lang] = names[lang] or name
    return merged


def _upsert_station(unit: TerritorialUnit, row: StationRow, update_existing: bool, result: ImportResult) -> None:
    wanted: dict[str, object] = {"address": row.address}
    if row.latitude is not None:
        # Blank coordinates mean "not given", not "remove the known ones".
        wanted.update(latitude=row.latitude, longitude=row.longitude)
    station = PollingStation.objects.filter(unit=unit, number=row.number).first()
    if station is None:
        PollingStation.objects.create(unit=unit, number=row.number, **wanted)
        result.stations_created += 1
        return
    changed = [name for name, value in wanted.items() if getattr(station, name) != value]
    if not changed or not update_existing:
        result.stations_unchanged += 1
        return
    for name in changed:
        setattr(station, name, wanted[name])
    station.save(update_fields=changed)
    if "address" in changed:  # the address is part of its complaints' search documents
        search_index_refresh(complaint_ids=station.complaints.values_list("pk", flat=True))
    result.stations_updated += 1


@transaction.atomic
def polling_stations_import(
    *,
    rows: Sequence[SourceRow],
    country: str = "kz",
    update_existing: bool = True,
    dry_run: bool = False,
) -> ImportResult:
    """Check every row, then create missing regions/districts and upsert stations (unit + number).

    Raises ``ImportFailed`` listing every problem, having written nothing. Names of units
    that already exist are left as they are (rename them in the admin). With
    ``update_existing=False`` existing stations are left untouched too (used by the demo seed).
    """
    country_unit = _country(country)
    checked = _validate(rows, country_unit)
    result = ImportResult()
    region_names = _merged_names(checked, "region_names", "region_code")
    district_names = _merged_names(checked, "district_names", "district_code")
    units: dict[str, TerritorialUnit] = {}
    for row in checked:
        if row.district_code not in units:
            region = units.get(row.region_code) or _ensure_unit(
                row.region_code, UnitLevel.REGION, country_unit, region_names[row.region_code], result.regions_created
            )
            units[row.region_code] = region
            units[row.district_code] = _ensure_unit(
                row.district_code,
                UnitLevel.DISTRICT,
                region,
                district_names[row.district_code],
                result.districts_created,
            )
        _upsert_station(units[row.district_code], row, update_existing, result)
    if dry_run:
        # Everything above ran, so the counts are real; none of it is kept.
        transaction.set_rollback(True)
    return result


def polling_stations_import_csv(
    *, data: bytes, country: str = "kz", update_existing: bool = True, dry_run: bool = False
) -> ImportResult:
    """``polling_stations_import`` for the bytes of a CSV file."""
    return polling_stations_import(
        rows=read_csv(data), country=country, update_existing=update_existing, dry_run=dry_run
    )
