"""Celery tasks that deliver outbox rows. They take ids, and are safe to run twice."""

from __future__ import annotations

from datetime import datetime

from celery import Task, shared_task
from django.db import connections

from complaints.models import OutboxChannel
from complaints.notifications import publish
from complaints.notifications.delivery import deliver, sweep
from complaints.notifications.outbox import coordinator_digest_record


def _fresh_connection(task: Task) -> None:
    """Drop a broken or CONN_MAX_AGE-expired connection before the task uses it.

    Worker processes reuse database connections across tasks (CELERY_DB_REUSE_MAX), so
    this does per task what Django does per request, minus the ``SELECT 1`` health
    check on every reuse (a fifth of a delivery's round trips): a connection is pinged
    only after a database error, so a database restart costs one failed task per worker
    process, whose row the sweeper hands out again. Not when eager: the caller owns the
    connection then (it may be inside a transaction).
    """
    if task.request.is_eager:
        return
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
        conn.health_check_done = True  # type: ignore[attr-defined]


# Two task names for one job, so that settings.CELERY_TASK_ROUTES can send each channel
# to its own queue ("mail", "webhooks") and worker pool. Either delivers any row: a task
# queued under the other name (before an upgrade, say) still does the right thing.


@shared_task(bind=True, name="complaints.notifications.tasks.deliver_outbox_message", ignore_result=True)
def deliver_outbox_message(self: Task, message_id: int, lease: str | None = None) -> bool:
    """Deliver one webhook row if it is still due; ``lease`` is the sweeper's reservation.

    The name predates the split by channel; it is the "webhooks" queue's task.
    """
    _fresh_connection(self)
    return deliver(message_id, lease=datetime.fromisoformat(lease) if lease else None)


@shared_task(bind=True, name="complaints.notifications.tasks.deliver_email_message", ignore_result=True)
def deliver_email_message(self: Task, message_id: int, lease: str | None = None) -> bool:
    """Deliver one email row (with its batch) if it is still due: the "mail" queue's task."""
    _fresh_connection(self)
    return deliver(message_id, lease=datetime.fromisoformat(lease) if lease else None)


@shared_task(bind=True, name="complaints.notifications.tasks.deliver_messenger_message", ignore_result=True)
def deliver_messenger_message(self: Task, message_id: int, lease: str | None = None) -> bool:
    """Deliver one Telegram (or SMS) row to a filer's chat if it is still due: the "messengers" queue's task."""
    _fresh_connection(self)
    return deliver(message_id, lease=datetime.fromisoformat(lease) if lease else None)


MESSENGER_CHANNELS = frozenset({OutboxChannel.TELEGRAM, OutboxChannel.SMS})


@shared_task(bind=True, name="complaints.notifications.tasks.outbox_sweep", ignore_result=True)
def outbox_sweep(self: Task) -> int:
    """Beat, every few seconds: queue every due, undelivered row."""
    _fresh_connection(self)
    return sweep()


@shared_task(bind=True, name="complaints.notifications.tasks.coordinator_digest", ignore_result=True)
def coordinator_digest(self: Task) -> int:
    """Beat, daily: one digest email per coordinator."""
    _fresh_connection(self)
    return coordinator_digest_record()


def _publish(message_id: int, lease: str | None, channel: str) -> None:
    """Queue a row on its channel's queue: a fresh row with one quick broker retry, a swept row with its lease."""
    task = deliver_email_message if channel == OutboxChannel.EMAIL else deliver_outbox_message
    if channel in MESSENGER_CHANNELS:
        task = deliver_messenger_message
    if lease is None:
        task.apply_async(
            (message_id,), retry=True, retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
        )
    else:
        task.delay(message_id, lease)


publish.set_publisher(_publish)
