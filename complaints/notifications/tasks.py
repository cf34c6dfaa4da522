"""Celery tasks that deliver outbox rows. (Delivery is fleshed out by the notifications work.)"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="complaints.notifications.tasks.deliver_outbox_message")
def deliver_outbox_message(message_id: int) -> None:
    from complaints.notifications.delivery import deliver

    deliver(message_id)


@shared_task(name="complaints.notifications.tasks.outbox_sweep")
def outbox_sweep() -> int:
    from complaints.notifications.delivery import sweep

    return sweep()


@shared_task(name="complaints.notifications.tasks.coordinator_digest")
def coordinator_digest() -> int:
    return 0
