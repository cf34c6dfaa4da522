"""The seam between the outbox and the task queue: ``notifications/tasks.py`` plugs in how a row is queued.

The outbox and the sweeper decide *what* to publish (committed, due row ids, with their
channel, which picks the queue: email and webhooks never wait behind each other); only
the tasks module knows Celery. It registers its publisher when the app is ready, so no
module below the tasks imports them.
"""

from __future__ import annotations

from collections.abc import Callable

# (outbox row id, the sweeper's lease as ISO text or None, its channel) -> queued, or raises if the broker is down
Publisher = Callable[[int, str | None, str], None]

_publisher: Publisher | None = None


def set_publisher(publisher: Publisher) -> None:
    global _publisher
    _publisher = publisher


def publish(message_id: int, lease: str | None, channel: str) -> None:
    """Queue one row's delivery task. Raises when no queue is plugged in or the broker refuses."""
    if _publisher is None:
        raise LookupError("no task queue is plugged in: complaints.notifications.tasks was not imported")
    _publisher(message_id, lease, channel)
