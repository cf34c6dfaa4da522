"""``manage.py purge_identities``: erase reporters' identity and contact once a dispute window has closed (audited)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints import services
from complaints.models import Election


class Command(BaseCommand):
    help = (
        "Erase the name, email, phone and account link of every reporter of an election whose dispute window "
        "has closed (its 'reporters' identity kept until' moment has passed), or of every reporter who gave "
        "one email address (--email, a person's request). One audit event per complaint; complaints, "
        "evidence and follow-up secrets are kept. Try --dry-run first: it prints how many would be erased."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--election", help="The election's short name (slug).")
        target.add_argument("--email", help="Erase the identity of every reporter who gave this email address.")
        parser.add_argument("--dry-run", action="store_true", help="Only count; erase nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        if options["email"]:
            result = services.identities_purge_for_email(email=options["email"], dry_run=dry_run)
            what = "reporters who gave that email address"
        else:
            election = Election.objects.filter(slug=options["election"]).first()
            if election is None:
                raise CommandError(f"No election with the short name {options['election']!r}.")
            try:
                result = services.identities_purge(election=election, dry_run=dry_run)
            except services.ValidationFailed as exc:
                raise CommandError(str(exc)) from None
            what = f"reporters of {election.slug}"
        if dry_run:
            self.stdout.write(f"Dry run: {result.purged} {what} hold an identity and would be erased.")
        else:
            self.stdout.write(f"Erased the identity of {result.purged} {what} (one audit event each).")
