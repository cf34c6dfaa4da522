"""The coordinators' dashboard: SLA breaches, reviewer load, counts by region and category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from complaints import workflow
from complaints.access import (
    visible_complaints,
)
from complaints.models import (
    Category,
    Channel,
    Complaint,
    TerritorialUnit,
)
from complaints.selectors.queue import complaints_in_reach


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    count: int
    overdue: int = 0


def _running_overdue(now: datetime) -> Q:
    return Q(status__in=list(workflow.SLA_STATES), sla_paused_at__isnull=True, due_at__lt=now)


def sla_breaches_for(*, user: Any, election: int | None = None, limit: int = 20) -> list[Complaint]:
    """Open complaints past their deadline, the most overdue first."""
    qs = complaints_in_reach(user).filter(_running_overdue(timezone.now()))
    if election:
        qs = qs.filter(election_id=election)
    return list(qs.order_by("due_at", "id")[:limit])


def reviewer_load_for(*, user: Any, election: int | None = None) -> list[CountRow]:
    """Open complaints per assignee (with how many are overdue), the busiest first."""
    qs = visible_complaints(user).filter(status__in=list(workflow.OPEN_STATES))
    if election:
        qs = qs.filter(election_id=election)
    rows = (
        qs.order_by()
        .values("assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(n=Count("id"), late=Count("id", filter=_running_overdue(timezone.now())))
        .order_by("-n", "assignee__username")
    )
    result = []
    for row in rows:
        full = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
        label = full or row["assignee__username"] or ""
        result.append(CountRow(str(row["assignee_id"] or ""), label, row["n"], row["late"]))
    return result


def counts_by_region_for(*, user: Any, election: int | None = None) -> list[CountRow]:
    """Complaints per region (the second level of the territory tree), largest first."""
    qs = visible_complaints(user)
    if election:
        qs = qs.filter(election_id=election)
    totals: dict[str, int] = {}
    for row in qs.order_by().values("unit_path").annotate(n=Count("id")):
        parts = row["unit_path"].split("/")
        region = "/".join(parts[:2]) + "/" if len(parts) > 2 else ""
        totals[region] = totals.get(region, 0) + row["n"]
    units = {u.path: u for u in TerritorialUnit.objects.filter(path__in=[p for p in totals if p])}
    rows = [
        CountRow(units[p].code if p in units else "", units[p].name if p in units else "", n) for p, n in totals.items()
    ]
    return sorted(rows, key=lambda r: (-r.count, r.label))


def counts_by_category_for(*, user: Any, election: int | None = None) -> list[CountRow]:
    qs = visible_complaints(user)
    if election:
        qs = qs.filter(election_id=election)
    totals = {row["category_id"]: row["n"] for row in qs.order_by().values("category_id").annotate(n=Count("id"))}
    categories = Category.objects.in_bulk(list(totals))
    rows = [CountRow(categories[pk].code, categories[pk].name, n) for pk, n in totals.items()]
    return sorted(rows, key=lambda r: (-r.count, r.label))


def counts_by_channel_for(*, user: Any, election: int | None = None) -> list[CountRow]:
    """Complaints in the user's scope by the channel they came in by (web, API, Telegram, SMS, phone...)."""
    qs = visible_complaints(user)
    if election:
        qs = qs.filter(election_id=election)
    totals = {row["channel"]: row["n"] for row in qs.order_by().values("channel").annotate(n=Count("id"))}
    labels = dict(Channel.choices)
    rows = [CountRow(key, str(labels.get(key, key)), n) for key, n in totals.items()]
    return sorted(rows, key=lambda r: (-r.count, r.label))
