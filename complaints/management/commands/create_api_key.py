"""Create an API key for a (service) user and print it once: only its hash is stored."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key acting as --user (its groups and territorial scope apply) and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Username the key acts as (a service account).")
        parser.add_argument("--name", default="", help="A label, e.g. the client system's name.")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["user"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user “{username}”. Create it first (e.g. in the admin) and give it a role group.")
        if not user.is_active:
            raise CommandError(f"User “{username}” is inactive; activate it before issuing a key.")
        label = options["name"] or f"{username} key"
        _, key = ApiKey.objects.create_key(name=label, user=user)
        self.stderr.write(f"API key “{label}” for {username}. It is shown only now; store it safely:")
        self.stdout.write(key)
