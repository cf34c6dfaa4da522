"""The reviewer queue: its filters and its one order (the web and the API page over the same keys)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils import timezone

from complaints import workflow
from complaints.access import (
    visible_complaints,
)
from complaints.models import (
    Complaint,
    Status,
    TerritorialUnit,
)
from complaints.models import complaint as complaint_model
from complaints.selectors.cases import NEXT_DEADLINE, deadline_within_q
from complaints.selectors.search import SEARCH_RANK, few_enough_to_rank, search_apply, search_for


@dataclass
class QueueFilters:
    status: list[str] | None = None
    category: str | None = None  # a category code; covers its sub-categories
    region: str | None = None  # a territorial unit code; covers its descendants
    election: int | None = None
    severity: int | None = None
    channel: str | None = None  # the source channel (web, api, telegram, sms, phone, ...)
    assignee: str | None = None  # a user id, a username, "me" or "none"
    overdue: bool = False
    due_soon: bool = False
    updated_since: datetime | None = None
    q: str | None = None  # staff search: words, a place, a receipt code or a station number (selectors.search)
    deadline_within: timedelta | None = None  # a statutory case deadline due within this (see selectors.cases)
    created_from: datetime | None = None  # filed at or after this instant (the dashboard's time-series bars)
    created_to: datetime | None = None  # filed before this instant (exclusive)


def complaints_in_reach(user: Any) -> QuerySet[Complaint]:
    # The search document is for the database to match, never read into Python.
    return (
        visible_complaints(user)
        .select_related("election", "category", "polling_station", "unit", "assignee")
        .defer("search_vector")
    )


def _filter_place_and_kind(qs: QuerySet[Complaint], f: QueueFilters) -> QuerySet[Complaint]:
    if f.region:
        path = TerritorialUnit.objects.filter(code=f.region).values_list("path", flat=True).first()
        qs = qs.filter(unit_path__startswith=path) if path else qs.none()
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__code__startswith=f.category + "."))
    if f.election:
        qs = qs.filter(election_id=f.election)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    return qs


def _filter_work(qs: QuerySet[Complaint], f: QueueFilters, user: Any, now: datetime) -> QuerySet[Complaint]:
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee == "me":
        qs = qs.filter(assignee_id=getattr(user, "pk", None))
    elif f.assignee and f.assignee.isdigit():  # a user id (the web UI's picker)
        qs = qs.filter(assignee_id=int(f.assignee))
    elif f.assignee:  # a username (API clients)
        qs = qs.filter(assignee__username=f.assignee)
    running = Q(status__in=list(workflow.SLA_STATES), sla_paused_at__isnull=True)
    if f.overdue:
        qs = qs.filter(running, due_at__lt=now)
    if f.due_soon:
        soon = now + timedelta(minutes=settings.SLA_DUE_SOON_MINUTES)
        qs = qs.filter(running, due_at__gte=now, due_at__lt=soon)
    if f.updated_since:
        qs = qs.filter(updated_at__gte=f.updated_since)
    if f.deadline_within is not None:
        qs = qs.filter(deadline_within_q(f.deadline_within, now))
    return _filter_created(qs, f)


def _filter_created(qs: QuerySet[Complaint], f: QueueFilters) -> QuerySet[Complaint]:
    """When it was filed: ``created_from`` included, ``created_to`` excluded (a day or an hour of a bar)."""
    if f.created_from is not None:
        qs = qs.filter(created_at__gte=f.created_from)
    if f.created_to is not None:
        qs = qs.filter(created_at__lt=f.created_to)
    return qs


@dataclass(frozen=True)
class SortKey:
    """One column of the queue order. ``expression``: computed per row, annotated as ``field``."""

    field: str
    desc: bool = False
    nullable: bool = False  # NULLs sort last
    expression: Any = None

    def order_by(self) -> OrderBy:
        expr = self.expression if self.expression is not None else F(self.field)
        nulls = {"nulls_last": True} if self.nullable else {}
        return expr.desc(**nulls) if self.desc else expr.asc(**nulls)


# 0 while the complaint's SLA clock runs, 1 otherwise; defined beside the index that serves it.
SLA_CLOCK_STOPPED = complaint_model.SLA_CLOCK_STOPPED

# The queue order, the only definition: running SLA clocks first, then by due time (earliest,
# so overdue work, on top; no due time last), then priority, then id (unique: a total order
# the API's keyset cursor can hold). The web queue and the API's default ordering both use it.
QUEUE_ORDER: tuple[SortKey, ...] = (
    SortKey("sla_clock_stopped", expression=SLA_CLOCK_STOPPED),
    SortKey("due_at", nullable=True),
    SortKey("priority", desc=True),
    SortKey("id"),
)


def queue_ordering() -> list[OrderBy]:
    """``order_by()`` arguments for QUEUE_ORDER."""
    return [key.order_by() for key in QUEUE_ORDER]


def complaint_queue_for(
    *, user: Any, filters: QueueFilters | None = None, ranked: bool | None = None
) -> QuerySet[Complaint]:
    """The reviewer queue: complaints in the user's reach, filtered, in QUEUE_ORDER.

    Complaints whose SLA clock runs come first, by due time, so overdue work leads; those
    without a running clock (paused in needs_info, decided, closed) follow. The API's default
    ordering pages over the same QUEUE_ORDER with a keyset cursor. With a search, ranked when
    ``ranked`` says so; left None, when ``search_ranked`` would say so (one more query).
    """
    return complaint_queue_ranked(user=user, filters=filters, ranked=ranked)[0]


def complaint_queue_ranked(
    *, user: Any, filters: QueueFilters | None = None, ranked: bool | None = None
) -> tuple[QuerySet[Complaint], bool | None]:
    """``complaint_queue_for`` and whether its search is ranked (None without a search).

    In QUEUE_ORDER; with a ranked search, the best matches first, QUEUE_ORDER among equals (a total order).
    """
    f = filters or QueueFilters()
    qs = _filtered(user, f)
    search = search_for(user=user, q=f.q or "")
    if search is None:
        return qs.order_by(*queue_ordering()), None
    qs = search_apply(qs, search, ranked=False)
    if ranked is None:
        ranked = few_enough_to_rank(qs, search)
    if not ranked:
        return qs.order_by(*queue_ordering()), False
    return qs.annotate(**{SEARCH_RANK: search.rank}).order_by(F(SEARCH_RANK).desc(), *queue_ordering()), True


def _filtered(user: Any, f: QueueFilters) -> QuerySet[Complaint]:
    return _filter_work(_filter_place_and_kind(complaints_in_reach(user), f), f, user, timezone.now())


def search_ranked(*, user: Any, filters: QueueFilters | None = None) -> bool | None:
    """With a search, whether the queue ranks its matches: only when the matches in the caller's scope and
    filters are few (``selectors.search.RANK_LIMIT``; one query); beyond, the queue order. None without one."""
    f = filters or QueueFilters()
    search = search_for(user=user, q=f.q or "")
    if search is None:
        return None
    return few_enough_to_rank(search_apply(_filtered(user, f), search, ranked=False), search)


def with_case_deadline(qs: QuerySet[Complaint], *, by_deadline: bool = False) -> QuerySet[Complaint]:
    """Each complaint's next running statutory deadline as ``next_case_deadline``.

    ``by_deadline``: ordered by it, soonest first, complaints with none last (the queue filtered
    to "a statutory deadline within ..." reads as a to-do list).
    """
    qs = qs.annotate(next_case_deadline=NEXT_DEADLINE)
    if by_deadline:
        qs = qs.order_by(F("next_case_deadline").asc(nulls_last=True), "id")
    return qs


def status_counts_for(*, user: Any, filters: QueueFilters | None = None) -> dict[str, int]:
    """Counts per status over the same filters (status itself excluded), one query."""
    f = filters or QueueFilters()
    f = QueueFilters(**{**f.__dict__, "status": None})
    qs = _filter_work(_filter_place_and_kind(visible_complaints(user), f), f, user, timezone.now())
    qs = search_apply(qs, search_for(user=user, q=f.q or ""), ranked=False)
    rows = qs.order_by().values("status").annotate(n=Count("id"))
    counts = {s.value: 0 for s in Status}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def queue_page_rows(
    *, user: Any, filters: QueueFilters | None = None, ranked: bool | None = None
) -> QuerySet[Complaint]:
    """The rows of the web queue page, in its order: what the page shows and what its exports hold.

    The queue with each complaint's next statutory deadline; filtered to "a statutory deadline
    within ...", ordered by that deadline (see ``with_case_deadline``).
    """
    f = filters or QueueFilters()
    queue = complaint_queue_for(user=user, filters=f, ranked=ranked)
    return with_case_deadline(queue, by_deadline=f.deadline_within is not None)
