"""``manage.py audit_checkpoint``: sign a checkpoint of every audit chain now (e.g. at an election milestone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints.models import CheckpointTrigger
from complaints.services.checkpoints import audit_checkpoint, checkpoint_document, checkpoint_file_name


class Command(BaseCommand):
    help = (
        "Sign the head of every complaint's audit chain and their Merkle root with the audit key; store the "
        "checkpoint, write its public file, and (with --out) a copy to archive elsewhere."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--label", default="", help='What this checkpoint marks, e.g. "polls closed".')
        parser.add_argument("--out", type=Path, help="Also write the checkpoint file to this file or folder.")
        parser.add_argument(
            "--if-changed", action="store_true", help="Make nothing when no chain moved since the last checkpoint."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_checkpoint(
            label=options["label"], trigger=CheckpointTrigger.MANUAL, skip_unchanged=options["if_changed"]
        )
        if result.checkpoint is None:
            self.stdout.write("No chain moved since the last checkpoint: nothing signed.")
            return
        checkpoint = result.checkpoint
        for brk in result.breaks:
            self.stderr.write(f"NOT ADVANCED (does not verify): {brk}")
        out: Path | None = options["out"]
        if out is not None:
            path = out / checkpoint_file_name(checkpoint.serial) if out.is_dir() else out
            path.write_text(json.dumps(checkpoint_document(checkpoint), ensure_ascii=False, indent=1), encoding="utf-8")
            self.stdout.write(f"Wrote {path}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint {checkpoint.serial}: {checkpoint.chains} chains, {checkpoint.events} events, "
                f"root {checkpoint.merkle_root}, key {checkpoint.key_id}."
            )
        )
        if result.breaks:
            raise CommandError(f"{len(result.breaks)} chain(s) do not verify; run verify_audit")
