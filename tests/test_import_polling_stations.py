"""``manage.py import_polling_stations``: all or nothing, line-numbered errors, upsert on re-import."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from complaints.models import PollingStation, TerritorialUnit, UnitLevel
from complaints.services.territory import SourceRow, polling_stations_import

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "polling_stations.csv"
HEADER = (
    "region_code,region_name_ru,region_name_kk,region_name_en,district_code,district_name_ru,station_number,address"
)


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("import_polling_stations", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "stations.csv"
    path.write_bytes(text.encode(encoding))
    return path


def fail(path: Path, *args: str) -> tuple[str, str]:
    """Run expecting failure; return (stderr, the final error message)."""
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("import_polling_stations", str(path), *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue(), str(raised.value)


def state() -> list[tuple[Any, ...]]:
    units = list(TerritorialUnit.objects.order_by("pk").values_list())
    stations = list(PollingStation.objects.order_by("pk").values_list())
    return units + stations


def test_import_creates_missing_units_and_stations(territory: dict[str, Any], tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + ",latitude,longitude\n"
        'pav,,,,pav-aksu,г. Аксу,601,"г. Аксу, ул. Ауэзова, 10, СШ №1",52.0408,76.9278\n'
        'pav,,,,pav-aksu,,602,"г. Аксу, ул. Ленина, 3",,\n'
        "kar,Карагандинская область,Қарағанды облысы,Karaganda Region,kar-temirtau,г. Темиртау,101,"
        '"г. Темиртау, пр. Республики, 48",,\n'
        'pav,,,,pav-ekibastuz,,515,"г. Экибастуз, ул. Ленина, 20",,\n',
    )

    output, _ = run(path)

    assert "4 stations created" in output
    kar = TerritorialUnit.objects.get(code="kar")
    assert (kar.level, kar.parent, kar.name_kk, kar.path) == (
        UnitLevel.REGION,
        territory["kz"],
        "Қарағанды облысы",
        "kz/kar/",
    )
    aksu = TerritorialUnit.objects.get(code="pav-aksu")
    assert (aksu.level, aksu.parent, aksu.path) == (UnitLevel.DISTRICT, territory["pav"], "kz/pav/pav-aksu/")
    station = PollingStation.objects.get(unit=aksu, number="601")
    assert station.address == "г. Аксу, ул. Ауэзова, 10, СШ №1"
    assert station.latitude == Decimal("52.040800")
    assert PollingStation.objects.filter(unit=territory["ekib"]).count() == 2
    # Existing units keep their names: the file named none for pav.
    assert TerritorialUnit.objects.get(code="pav").name_ru == "Павлодарская область"


def test_reimport_updates_addresses_instead_of_duplicating(territory: dict[str, Any], tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + '\npav,,,,pav-ekibastuz,,512,"г. Экибастуз, ул. Ленина, 10"\n')
    run(path)
    before = PollingStation.objects.count()

    path = write(tmp_path, HEADER + '\npav,,,,pav-ekibastuz,,№512,"г. Экибастуз, ул. Ленина, 12, школа №5"\n')
    output, _ = run(path)
    again, _ = run(path)

    assert PollingStation.objects.count() == before
    assert PollingStation.objects.get(unit=territory["ekib"], number="512").address == (
        "г. Экибастуз, ул. Ленина, 12, школа №5"
    )
    assert "0 stations created, 1 updated" in output
    assert "0 updated, 1 unchanged" in again


def test_reimport_without_coordinates_keeps_the_known_ones(territory: dict[str, Any], tmp_path: Path) -> None:
    header = "region_code,district_code,station_number,address,latitude,longitude\n"
    run(write(tmp_path, header + "pav,pav-ekibastuz,512,г. Экибастуз,51.7237,75.3229\n"))

    run(write(tmp_path, header + 'pav,pav-ekibastuz,512,"г. Экибастуз, ул. Ленина, 10",,\n'))

    station = PollingStation.objects.get(unit=territory["ekib"], number="512")
    assert station.address == "г. Экибастуз, ул. Ленина, 10"
    assert (station.latitude, station.longitude) == (Decimal("51.723700"), Decimal("75.322900"))


def test_bom_semicolons_and_decimal_commas_are_accepted(territory: dict[str, Any], tmp_path: Path) -> None:
    text = (
        "region_code;district_code;station_number;address;latitude;longitude\r\n"
        "ala;ala-almaly;104;г. Алматы, ул. Толе би, 98;43,250000;76,920000\r\n"
    )
    path = write(tmp_path, text, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    run(path)

    station = PollingStation.objects.get(unit=territory["ala_d"], number="104")
    assert station.address == "г. Алматы, ул. Толе би, 98"
    assert (station.latitude, station.longitude) == (Decimal("43.25"), Decimal("76.92"))


def test_bad_rows_import_nothing_and_each_problem_names_its_line(territory: dict[str, Any], tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + ",latitude,longitude\n"
        'pav,,,,pav-aksu,г. Аксу,601,"г. Аксу, ул. Ауэзова, 10",,\n'  # line 2: fine
        "pav,,,,pav-aksu,,602,,,\n"  # line 3: no address
        "pav,,,,pav-aksu,,603,г. Аксу,95.5,76.9\n"  # line 4: latitude out of range
        "ala,,,,pav-ekibastuz,,516,г. Экибастуз,,\n"  # line 5: district exists under another region
        "pav,,,,pav-aksu,,601,г. Аксу,,\n"  # line 6: same station as line 2
        "kos,,,,kos-rudny,г. Рудный,1,г. Рудный,,\n"  # line 7: new region without a name
        "pav,,,,Pav Aksu!,,1,г. Аксу,52.1,\n",  # line 8: bad code, half a coordinate pair
    )
    before = state()

    errors, final = fail(path)

    assert state() == before
    assert "nothing was imported" in final
    lines = errors.splitlines()
    assert any("line 3, column address: is empty" in line for line in lines)
    assert any("line 4, column latitude: “95.5” is not a number between -90 and 90" in line for line in lines)
    assert any("line 6, column station_number" in line and "line 2" in line for line in lines)
    assert any("line 8, column district_code" in line for line in lines)
    assert any("line 8, column longitude: give both" in line for line in lines)
    assert any("line 5, column district_code: “pav-ekibastuz” already exists" in line for line in lines)
    assert any("line 7, column region_code: there is no unit “kos” yet" in line for line in lines)
    assert not any("line 2," in line for line in lines)
    assert all(line.startswith(f"{path}: line ") for line in lines)


def test_units_that_contradict_the_database_are_reported(territory: dict[str, Any], tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "\n"
        "ala,,,,pav-ekibastuz,,516,г. Экибастуз\n"  # line 2: district lives under pav
        "kos,,,,kos-rudny,г. Рудный,1,г. Рудный\n"  # line 3: new region without a name
        "pav-ekibastuz,,,,pav-x,Икс,1,адрес\n",  # line 4: a district used as a region
    )
    before = state()

    errors, _ = fail(path)

    assert state() == before
    assert "line 2, column district_code: “pav-ekibastuz” already exists as a District under “pav”" in errors
    assert "line 3, column region_code: there is no unit “kos” yet; to create it, fill region_name_ru" in errors
    assert "line 4, column region_code: “pav-ekibastuz” is used both as a region and as a district code" in errors


def test_header_problems_are_reported_before_any_row(territory: dict[str, Any], tmp_path: Path) -> None:
    path = write(tmp_path, "region_code,district_code,station_number,adress\npav,pav-ekibastuz,1,x\n")

    errors, _ = fail(path)

    assert "line 1, column adress: unknown column(s)" in errors
    assert "line 1, column address: required column(s) missing" in errors
    assert not PollingStation.objects.filter(number="1").exists()


def test_a_file_that_is_not_utf8_is_refused_with_advice(territory: dict[str, Any], tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\npav,,,,pav-ekibastuz,,519,г. Экибастуз\n", encoding="cp1251")

    errors, _ = fail(path)

    assert "line 2: the file is not UTF-8" in errors
    assert "CSV UTF-8" in errors


def test_dry_run_reports_but_saves_nothing(territory: dict[str, Any], tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\nkar,Карагандинская область,,,kar-temirtau,г. Темиртау,101,г. Темиртау\n")
    before = state()

    output, _ = run(path, "--dry-run")

    assert "Dry run" in output
    assert "1 stations created" in output
    assert "1 regions and 1 districts created" in output
    assert state() == before


def test_missing_country_is_explained(territory: dict[str, Any], tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\npav,,,,pav-ekibastuz,,519,г. Экибастуз\n")

    errors, _ = fail(path, "--country", "uz")

    assert "no territorial unit with code “uz”" in errors


def test_the_example_file_imports_cleanly_and_idempotently(tmp_path: Path) -> None:
    TerritorialUnit.objects.create(code="kz", level=UnitLevel.COUNTRY, name_ru="Республика Казахстан")

    run(EXAMPLE)
    before = state()
    output, _ = run(EXAMPLE)

    assert state() == before
    assert PollingStation.objects.count() >= 5
    assert "0 stations created, 0 updated" in output


def test_the_service_takes_rows_without_a_file(territory: dict[str, Any]) -> None:
    rows = [
        SourceRow(
            2,
            {"region_code": "pav", "district_code": "pav-ekibastuz", "station_number": "520", "address": "Экибастуз"},
        )
    ]

    result = polling_stations_import(rows=rows, country="kz")

    assert result.stations_created == 1
    assert PollingStation.objects.filter(unit=territory["ekib"], number="520").exists()
