"""``manage.py export_audit <code>``: one complaint's audit chain, content and evidence hashes, to verify outside."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints.models import Complaint, Evidence
from complaints.selectors.audit_export import case_export, evidence_export_name


class Command(BaseCommand):
    help = (
        "Write the minimal audit export of one complaint (its chain, the inputs of its content hash, its "
        "evidence hashes and the latest checkpoint covering it), to check with complaints/integrity.py."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The complaint's receipt code.")
        parser.add_argument("--out", type=Path, help="Write here instead of standard output.")
        parser.add_argument("--evidence-dir", type=Path, help="Also copy the evidence files into this folder.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            complaint = Complaint.objects.get(code=options["code"].strip().upper())
        except Complaint.DoesNotExist:
            raise CommandError("no complaint has this code") from None
        document = json.dumps(case_export(complaint), ensure_ascii=False, indent=1)
        directory: Path | None = options["evidence_dir"]
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            for evidence in Evidence.objects.filter(complaint=complaint).order_by("pk"):
                with evidence.file.open("rb") as src, (directory / evidence_export_name(evidence)).open("wb") as dst:
                    shutil.copyfileobj(src, dst)
        if options["out"] is None:
            self.stdout.write(document)
        else:
            options["out"].write_text(document, encoding="utf-8")
            self.stderr.write(f"Wrote {options['out']}")
