"""Recovery for a staff member who lost their second factor: remove their devices so they enrol again."""

from __future__ import annotations

import getpass
import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

log = logging.getLogger("complaints.security")


class Command(BaseCommand):
    help = (
        "Remove a user's two-factor devices (authenticator app and backup codes). Their sessions lose "
        "the second factor at once; at the next step that needs it they set up a new authenticator. "
        "Check who is asking (in person, by a known phone number) before running this: it is logged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The account whose phone (and backup codes) were lost.")
        parser.add_argument("--by", default="", help="Who is resetting it, for the log (default: the OS user).")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user “{username}”.")
        operator = options["by"] or getpass.getuser()
        with transaction.atomic():
            totp, _ = TOTPDevice.objects.filter(user=user).delete()
            static, _ = StaticDevice.objects.filter(user=user).delete()
        # No audit chain outside complaints: the reset is a WARNING line in the security log.
        log.warning(
            "two-factor reset for user %s (id %s) by %s: %s device rows removed",
            username,
            user.pk,
            operator,
            totp + static,
        )
        self.stdout.write(
            f"Two-factor authentication of {username} reset; they set it up again at the next sign-in step."
        )
