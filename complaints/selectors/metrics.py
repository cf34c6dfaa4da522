"""What the /metrics scrape reads from the database: a few aggregate queries, no identity, no codes.

Each query is served by an index, so a scrape costs about as much as the rows it counts
that are *open* (pending outbox rows, open complaints, running deadlines), not the size of
the history, except the dead-letter count (see ``dead_letters``):

- outbox backlog and oldest age: the partial index ``outbox_due`` (pending rows only);
- SLA: ``complaint_status_due`` (status, due_at) over the statuses whose clock runs;
- statutory deadlines: ``case_deadline_due`` (state, due_at).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q

from complaints import workflow
from complaints.models import CaseDeadline, CaseDeadlineState, Complaint, OutboxChannel, OutboxMessage, OutboxStatus
from complaints.selectors.dashboard import _running_overdue


@dataclass(frozen=True)
class OutboxLine:
    pending: int = 0
    due: int = 0
    oldest_pending_age_seconds: float = 0.0
    dead: int = 0


@dataclass(frozen=True)
class MetricsSnapshot:
    taken_at: datetime
    outbox: dict[str, OutboxLine] = field(default_factory=dict)
    sla_overdue: int = 0
    sla_breached: int = 0
    deadlines_overdue: int = 0
    deadlines_missed: int = 0


def _outbox(now: datetime) -> dict[str, OutboxLine]:
    pending: dict[str, dict[str, Any]] = {
        row["channel"]: dict(row)
        for row in OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        .order_by()
        .values("channel")
        .annotate(n=Count("id"), due=Count("id", filter=Q(next_attempt_at__lte=now)), oldest=Min("created_at"))
    }
    dead = dead_letters()
    lines = {}
    for channel in OutboxChannel.values:
        row = pending.get(channel) or {}
        oldest = row.get("oldest")
        lines[channel] = OutboxLine(
            pending=row.get("n", 0),
            due=row.get("due", 0),
            oldest_pending_age_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
            dead=dead.get(channel, 0),
        )
    return lines


def dead_letters() -> dict[str, int]:
    """Dead-lettered rows per channel.

    No index has ``status='dead'`` in front, so this scans the outbox table, which keeps
    every row; cheap while it holds up to a few hundred thousand rows (docs/operations.md
    has the numbers), and the scrape caches it.
    """
    rows = OutboxMessage.objects.filter(status=OutboxStatus.DEAD).order_by().values("channel").annotate(n=Count("id"))
    return {row["channel"]: row["n"] for row in rows}


def metrics_snapshot(*, now: datetime) -> MetricsSnapshot:
    """Five aggregate queries over the open work: the outbox, SLA clocks and statutory deadlines."""
    sla = Complaint.objects.filter(status__in=list(workflow.SLA_STATES)).aggregate(
        overdue=Count("id", filter=_running_overdue(now)),
        breached=Count("id", filter=Q(sla_breached_at__isnull=False)),
    )
    deadlines = CaseDeadline.objects.filter(state__in=[CaseDeadlineState.OPEN, CaseDeadlineState.MISSED]).aggregate(
        overdue=Count("id", filter=Q(state=CaseDeadlineState.OPEN, due_at__lte=now)),
        missed=Count("id", filter=Q(state=CaseDeadlineState.MISSED)),
    )
    return MetricsSnapshot(
        taken_at=now,
        outbox=_outbox(now),
        sla_overdue=sla["overdue"],
        sla_breached=sla["breached"],
        deadlines_overdue=deadlines["overdue"],
        deadlines_missed=deadlines["missed"],
    )
