"""Celery tasks that deliver outbox rows. They take ids, and are safe to run twice."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task


@shared_task(name="complaints.notifications.tasks.deliver_outbox_message", ignore_result=True)
def deliver_outbox_message(message_id: int, lease: str | None = None) -> bool:
    """Deliver one row if it is still due; ``lease`` is the sweeper's reservation."""
    from complaints.notifications.delivery import deliver

    return deliver(message_id, lease=datetime.fromisoformat(lease) if lease else None)


@shared_task(name="complaints.notifications.tasks.outbox_sweep", ignore_result=True)
def outbox_sweep() -> int:
    """Beat, every few seconds: queue every due, undelivered row."""
    from complaints.notifications.delivery import sweep

    return sweep()


@shared_task(name="complaints.notifications.tasks.coordinator_digest", ignore_result=True)
def coordinator_digest() -> int:
    """Beat, daily: one digest email per coordinator."""
    from complaints.notifications.outbox import coordinator_digest_record

    return coordinator_digest_record()
