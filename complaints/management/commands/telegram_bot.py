"""``manage.py telegram_bot``: point Telegram at the webhook, or run the bot by polling (a laptop, no public URL).

- ``--set-webhook URL``: Telegram delivers updates to URL (``https://<host>/channels/telegram/webhook/``)
  with TELEGRAM_WEBHOOK_SECRET in its secret-token header.
- ``--delete-webhook``: stop webhook delivery (needed before polling).
- ``--poll``: long-poll getUpdates and process each update here, as the webhook's worker
  would (the replies still go through the outbox: a worker, or ``run_embedded``, sends them;
  ``--deliver`` sends them from this process too). ``--once`` stops after one poll.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from telegram.error import TelegramError

from complaints import services
from complaints.models import OutboxChannel, OutboxMessage, OutboxStatus
from complaints.notifications import delivery, telegram


class Command(BaseCommand):
    help = "Set or delete the Telegram webhook, or run the bot by long polling (docs/channels.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--set-webhook", metavar="URL", help="The public HTTPS URL of /channels/telegram/webhook/.")
        group.add_argument("--delete-webhook", action="store_true", help="Stop webhook delivery.")
        group.add_argument("--poll", action="store_true", help="Long-poll getUpdates and process updates here.")
        parser.add_argument("--once", action="store_true", help="With --poll: one poll, then stop.")
        parser.add_argument("--timeout", type=int, default=25, help="With --poll: seconds one long poll waits.")
        parser.add_argument("--deliver", action="store_true", help="With --poll: also send the bot's replies here.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not telegram.configured():
            raise CommandError("Set TELEGRAM_BOT_TOKEN first (the token @BotFather gave you).")
        try:
            if options["set_webhook"]:
                self._set_webhook(options["set_webhook"])
            elif options["delete_webhook"]:
                telegram.delete_webhook()
                self.stdout.write("Webhook deleted: updates wait for polling now.")
            else:
                self._poll(once=options["once"], timeout=max(0, options["timeout"]), deliver=options["deliver"])
        except TelegramError as exc:
            raise CommandError(f"The Bot API refused: {telegram.scrub(str(exc))}") from None

    def _set_webhook(self, url: str) -> None:
        if not url.startswith("https://") and not settings.DEBUG:
            raise CommandError("Telegram only delivers to https:// URLs.")
        secret = settings.TELEGRAM_WEBHOOK_SECRET
        if not secret:
            raise CommandError("Set TELEGRAM_WEBHOOK_SECRET first: the webhook refuses updates without it.")
        telegram.set_webhook(url, secret)
        self.stdout.write(f"Webhook set to {url}; updates carry the secret-token header.")

    def _poll(self, *, once: bool, timeout: int, deliver: bool) -> None:
        offset = services.telegram_poll_offset()
        self.stdout.write("Polling Telegram for updates (Ctrl-C stops)...")
        while True:
            try:
                updates = telegram.get_updates(offset, timeout)
            except TelegramError as exc:
                self.stderr.write(f"getUpdates failed: {telegram.scrub(str(exc))}; again in 5 s")
                if once:
                    raise
                time.sleep(5)
                continue
            for update in updates:
                offset = int(update["update_id"]) + 1
                row = services.telegram_update_receive(update=update, publish=False)
                if row is None:
                    continue
                try:
                    services.telegram_update_process(update_pk=row.pk)
                except Exception as exc:  # kept, and retried by the sweep; never the update's content
                    self.stderr.write(f"update {row.pk} failed ({type(exc).__name__}); it will be retried")
            if deliver:
                self._deliver()
            if once:
                return

    def _deliver(self) -> None:
        due = OutboxMessage.objects.filter(channel=OutboxChannel.TELEGRAM, status=OutboxStatus.PENDING)
        for pk in due.order_by("pk").values_list("pk", flat=True):
            delivery.deliver(pk)
