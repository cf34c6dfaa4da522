"""``manage.py import_polling_stations FILE.csv``: a thin shell around ``services.territory``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from complaints.services.territory import ImportFailed, polling_stations_import_csv

COLUMNS_HELP = """\
CSV format (UTF-8, with or without BOM; "," or ";" or tab between values; a header row):

  region_code        required  code of the region (oblast or city), e.g. pav
  district_code      required  code of the district or city inside it, e.g. pav-ekibastuz
  station_number     required  the polling station's number, e.g. 512 (a leading "№" is dropped)
  address            required  the station's address, e.g. "г. Экибастуз, ул. Ленина, 10, СШ №5"
  region_name_ru     needed only to create a region that does not exist yet
  region_name_kk, region_name_en                      optional names of a new region
  district_name_ru   needed only to create a district that does not exist yet
  district_name_kk, district_name_en                  optional names of a new district
  latitude, longitude  optional, decimal degrees ("52.287303" or "52,287303"); both or neither;
                     left blank on re-import, the coordinates already known are kept

Codes: lowercase Latin letters, digits, "-" and "_". Regions are created under --country.
Stations are matched on district + number: importing the same file again updates the
addresses and coordinates instead of adding duplicates. Names of units that already exist
are not changed (rename them in the admin). If any row is wrong, every problem is listed
with its line and column, nothing is imported, and the command exits with status 1.
See docs/import.md and docs/examples/polling_stations.csv.
"""


class Command(BaseCommand):
    help = "Import polling stations (and any missing regions and districts) from a CSV file, all or nothing."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = COLUMNS_HELP
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file to import")
        parser.add_argument(
            "--country",
            default="kz",
            help="code of the existing unit that new regions are created under (default: kz)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and report what would change, without changing anything",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}) from None
        try:
            result = polling_stations_import_csv(data=data, country=options["country"], dry_run=options["dry_run"])
        except ImportFailed as failed:
            for error in failed.errors:
                self.stderr.write(f"{path}: {error}")
            raise CommandError(
                _("%(count)s problem(s) found; nothing was imported. Fix the rows above and run the command again.")
                % {"count": len(failed.errors)}
            ) from None
        prefix = _("Dry run, nothing saved. Would have imported") if options["dry_run"] else _("Imported")
        self.stdout.write(
            _(
                "%(prefix)s %(rows)s rows: %(created)s stations created, %(updated)s updated, "
                "%(unchanged)s unchanged; %(regions)s regions and %(districts)s districts created."
            )
            % {
                "prefix": prefix,
                "rows": result.rows,
                "created": result.stations_created,
                "updated": result.stations_updated,
                "unchanged": result.stations_unchanged,
                "regions": len(result.regions_created),
                "districts": len(result.districts_created),
            }
        )
