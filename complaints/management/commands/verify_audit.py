"""``manage.py verify_audit``: recompute every audit hash chain, check it against signed checkpoints, report breaks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints import integrity
from complaints.audit import ChainBreak, checkpoint_documents, verify_chains
from complaints.models import AuditEvent
from complaints.services.checkpoints import trusted_public_keys


class Command(BaseCommand):
    help = (
        "Recompute every complaint's audit hash chain and compare each complaint's content and evidence with "
        "it; check the chains against signed checkpoints (the stored ones, or the files given), reporting any "
        "chain rewritten or cut after one. Exits non-zero naming the first problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--complaint", action="append", type=int, help="Only these complaint ids.")
        parser.add_argument(
            "--checkpoint",
            action="append",
            type=Path,
            default=[],
            help="A checkpoint file (archived from /audit/checkpoints/<n>.json) to check against; repeatable. "
            "Given any, the stored checkpoints are not used unless --stored-checkpoints.",
        )
        parser.add_argument("--stored-checkpoints", action="store_true", help="Also use the stored checkpoints.")
        parser.add_argument(
            "--public-key",
            action="append",
            type=Path,
            default=[],
            help="Trust only these Ed25519 public keys (PEM) instead of the configured signing key's.",
        )
        parser.add_argument(
            "--skip-files", action="store_true", help="Do not hash the evidence files against their recorded SHA-256."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keys = [integrity.public_key_from_text(p.read_text(encoding="utf-8")) for p in options["public_key"]]
        keys = keys or trusted_public_keys()
        files: list[Path] = options["checkpoint"]
        documents = [json.loads(path.read_text(encoding="utf-8")) for path in files]
        if not files or options["stored_checkpoints"]:
            documents += checkpoint_documents()
        problems: list[ChainBreak] = []
        trusted = []
        for document in documents:
            bad = integrity.checkpoint_problems(keys, document)
            problems += [ChainBreak(None, None, None, reason) for reason in bad]
            if not bad:
                trusted.append(document)
        problems += verify_chains(options["complaint"], checkpoints=trusted, check_files=not options["skip_files"])
        total = AuditEvent.objects.count()
        if problems:
            for brk in problems:
                self.stderr.write(f"BROKEN: {brk}")
            raise CommandError(f"first problem: {problems[0]} ({len(problems)} problem(s))")
        legacy = AuditEvent.objects.filter(seq=1, scheme=integrity.SCHEME_LEGACY).count()
        serials = sorted({d["statement"]["serial"] for d in trusted})
        against = (
            f"against {len(serials)} signed checkpoint(s) (latest {serials[-1]})"
            if serials
            else "no checkpoint to compare with (run audit_checkpoint)"
        )
        self.stdout.write(self.style.SUCCESS(f"OK: {total} audit events, every chain intact; {against}."))
        if legacy:
            self.stdout.write(
                f"note: {legacy} chain(s) began under hash scheme 1 (their events predate content coverage)."
            )
