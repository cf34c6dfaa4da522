"""Deliver the outbox without Celery beat: for the embedded default (no Redis).

With REDIS_URL set, beat's ``outbox_sweep`` does this every few seconds; without it,
tasks run in-process and nothing would retry a failed send or send the batched
reviewer alerts. Run this beside the web process (``--once`` from cron works too).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from complaints.notifications.delivery import sweep
from complaints.notifications.outbox import coordinator_digest_record


class Command(BaseCommand):
    help = "Deliver due outbox rows (retries, batched alerts) in-process; loops unless --once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--interval", type=float, default=None, help="Seconds between passes (default OUTBOX_SWEEP_SECONDS)."
        )
        parser.add_argument("--digest", action="store_true", help="Also write today's coordinator digests.")

    def handle(self, *args: Any, once: bool, interval: float | None, digest: bool, **options: Any) -> None:
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stderr.write(
                "REDIS_URL is set: rows are only queued here; a Celery worker delivers them "
                "(and beat already sweeps: `make worker` and `make beat`)."
            )
        if digest:
            self.stdout.write(f"digests written: {coordinator_digest_record()}")
        schedule: Any = settings.CELERY_BEAT_SCHEDULE["outbox-sweep"]["schedule"]
        pause = interval if interval is not None else float(schedule)
        while True:
            handled = sweep()
            if handled:
                self.stdout.write(f"outbox: {handled} row(s) handled")
            if once:
                return
            time.sleep(pause)
