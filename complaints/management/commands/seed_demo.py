"""``manage.py seed_demo``: load the demo data set (idempotent; see complaints/demo/seed.py)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from complaints.demo.seed import SeedReport, seed_demo


@contextmanager
def _quiet_eager_tasks() -> Iterator[None]:
    """Without Redis, notification tasks run in-process and log one line each; not useful here."""
    logger = logging.getLogger("celery.app.trace")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class Command(BaseCommand):
    help = (
        "Load the demo data set: the 3 April 2011 presidential election in Kazakhstan, its territory "
        "and polling stations, the violation categories, one user per role and about 50 complaints. "
        "Safe to run again: it only creates what is missing and never changes existing rows or passwords."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password-file",
            type=Path,
            help="also write the credentials of the users created by this run as JSON to this file (mode 600)",
        )
        parser.add_argument(
            "--demo-password",
            help="use this password for the demo users created by this run, instead of random ones (for tests)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with _quiet_eager_tasks():
            report = seed_demo(demo_password=options["demo_password"])
        self._print_data(report)
        self._print_users(report)
        if options["password_file"]:
            self._write_password_file(report, options["password_file"])

    def _print_data(self, report: SeedReport) -> None:
        territory = report.territory
        lines = [
            _("Election kz-2011-presidential: %(state)s.")
            % {"state": _("created") if report.election_created else _("already there")},
            _(
                "Territory: %(regions)s regions and %(districts)s districts created; polling stations: "
                "%(created)s created, %(existing)s already there."
            )
            % {
                "regions": len(territory.regions_created),
                "districts": len(territory.districts_created),
                "created": territory.stations_created,
                "existing": territory.stations_unchanged + territory.stations_updated,
            },
            _("Categories: %(created)s created, %(existing)s already there.")
            % {"created": report.categories_created, "existing": report.categories_existing},
        ]
        if report.complaints_skipped_reason:
            lines.append(_("Complaints: none filed, the election is archived (set it to active to add them)."))
        else:
            lines.append(
                _("Complaints: %(created)s filed, %(existing)s already there.")
                % {"created": report.complaints_created, "existing": report.complaints_existing}
            )
        for line in lines:
            self.stdout.write(line)

    def _print_users(self, report: SeedReport) -> None:
        login_url = f"{settings.SITE_URL.rstrip('/')}/accounts/login/"
        if report.users_created:
            self.stdout.write("")
            self.stdout.write(self.style.WARNING(_("Demo users created. The passwords are shown only this once:")))
            rows = [(_("username"), _("role"), _("password"))]
            rows += [(u.username, u.role, u.password) for u in report.users_created]
            widths = [max(len(row[i]) for row in rows) for i in range(3)]
            for row in rows:
                self.stdout.write("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
            self.stdout.write(_("Log in at %(url)s") % {"url": login_url})
        if report.users_existing:
            self.stdout.write(
                _("Demo users already exist, their passwords are unchanged: %(names)s.")
                % {"names": ", ".join(report.users_existing)}
            )
            self.stdout.write(
                _("To set a new password: python manage.py changepassword %(name)s  (then log in at %(url)s)")
                % {"name": report.users_existing[0], "url": login_url}
            )

    def _write_password_file(self, report: SeedReport, path: Path) -> None:
        if not report.users_created:
            self.stdout.write(_("No user was created by this run, so %(path)s was not written.") % {"path": path})
            return
        payload = {
            "login_url": f"{settings.SITE_URL.rstrip('/')}/accounts/login/",
            "users": {u.username: {"password": u.password, "role": u.role} for u in report.users_created},
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2)
            fh.write("\n")
        self.stdout.write(_("Credentials written to %(path)s.") % {"path": path})
