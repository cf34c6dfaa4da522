"""``manage.py export_case <code> <out.zip>``: one complaint's whole case file, to hand over or verify offline."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints import casefile
from complaints.errors import ServiceError
from complaints.models import Complaint
from complaints.services.checkpoints import audit_checkpoint
from complaints.workflow import NotAllowed


class Command(BaseCommand):
    help = (
        "Write the case file of one complaint (a ZIP: case.json, every evidence original, decision and reply "
        "files, generated documents, the audit chain with its signed checkpoint, and a manifest of SHA-256 "
        "hashes). No reporter identity unless --identity is given with --user and --purpose."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The complaint's receipt code.")
        parser.add_argument("out", type=Path, help="The .zip file to write.")
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="Sign a new audit checkpoint first, so the case file's chain is covered up to its last event.",
        )
        parser.add_argument("--identity", action="store_true", help="Include the reporter's identity (audited).")
        parser.add_argument("--user", help="Who exports (needed with --identity: a user allowed to see it).")
        parser.add_argument("--purpose", default="", help="Why the identity is included (kept in the audit log).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            complaint = Complaint.objects.get(code=options["code"].strip().upper())
        except Complaint.DoesNotExist:
            raise CommandError("no complaint has this code") from None
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"no user is called {options['user']!r}")
        if options["identity"] and actor is None:
            raise CommandError("--identity needs --user (someone allowed to see who filed it) and --purpose")
        if options["checkpoint"]:
            audit_checkpoint(label=f"case file {complaint.code}")
        out: Path = options["out"]
        try:
            built = casefile.case_file_build(
                complaint=complaint, actor=actor, include_identity=options["identity"], purpose=options["purpose"]
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".case-", suffix=".zip")
            try:
                with os.fdopen(fd, "wb") as fh:
                    manifest = casefile.case_file_write(built, fh)
                os.replace(tmp, out)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except (ServiceError, NotAllowed) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from None
        covered = built.audit["checkpoints"][0]["head"]["seq"] if built.audit["checkpoints"] else 0
        self.stdout.write(
            f"Wrote {out}: {len(manifest['files'])} files, chain #{built.case['chain']['seq']} "
            f"(signed checkpoint covers up to #{covered})"
        )
