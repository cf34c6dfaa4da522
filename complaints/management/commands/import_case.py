"""``manage.py import_case <file.zip>``: verify a case file from another registry and recreate the case here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints import casefile, integrity
from complaints.errors import ServiceError
from complaints.workflow import NotAllowed


class Command(BaseCommand):
    help = (
        "Import a case file written by export_case: every file is checked against the manifest, the manifest "
        "against case.json, and the audit chain against both; anything that does not verify is refused, named. "
        "Importing the same file again creates nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The case file (.zip).")
        parser.add_argument("--user", help="Who imports (recorded in the new audit chain; default: the system).")
        parser.add_argument(
            "--public-key",
            type=Path,
            action="append",
            default=[],
            help="The source registry's published public key (PEM): its checkpoint's signature must verify.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"no user is called {options['user']!r}")
        keys = [integrity.public_key_from_text(p.read_text(encoding="utf-8")) for p in options["public_key"]]
        try:
            with path.open("rb") as fh:
                result = casefile.case_file_import(source=fh, actor=actor, keys=keys)
        except (ServiceError, NotAllowed) as exc:
            raise CommandError(f"{path.name}: refused: {getattr(exc, 'message', exc)}") from None
        for note in result.notes:
            self.stderr.write(f"note: {note}")
        code = result.complaint.code
        if result.created:
            self.stdout.write(f"Imported {code} from {path.name}")
        else:
            self.stdout.write(f"{code} was already imported from this case file; nothing changed")
