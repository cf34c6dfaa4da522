"""``manage.py verify_audit``: recompute every audit hash chain and report the first break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints.audit import verify_chains
from complaints.models import AuditEvent


class Command(BaseCommand):
    help = "Recompute every complaint's audit hash chain; exit non-zero naming the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--complaint", action="append", type=int, help="Only these complaint ids.")

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = list(verify_chains(options["complaint"]))
        total = AuditEvent.objects.count()
        if breaks:
            for brk in breaks:
                self.stderr.write(f"BROKEN: {brk}")
            raise CommandError(f"first broken event: {breaks[0]} ({len(breaks)} broken chain(s))")
        self.stdout.write(self.style.SUCCESS(f"OK: {total} audit events, every chain intact."))
