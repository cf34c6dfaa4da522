"""Every non-trivial read: the reviewer queue, counts, timelines. Query-counted in tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from complaints import workflow
from complaints.access import access_for, visible_complaints
from complaints.models import AuditEvent, Complaint, Note, NoteVisibility, Status, TerritorialUnit


@dataclass
class QueueFilters:
    status: list[str] | None = None
    category: str | None = None  # a category code; covers its sub-categories
    region: str | None = None  # a territorial unit code; covers its descendants
    election: int | None = None
    severity: int | None = None
    assignee: str | None = None  # a user id, a username, "me" or "none"
    overdue: bool = False
    due_soon: bool = False
    updated_since: datetime | None = None
    q: str | None = None  # receipt code or polling station number


def _queue_base(user: Any) -> QuerySet[Complaint]:
    return visible_complaints(user).select_related("election", "category", "polling_station", "unit", "assignee")


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
    if f.q:
        term = f.q.strip()
        qs = qs.filter(Q(code__iexact=term) | Q(polling_station__number=term))
    return qs


def _filter_work(qs: QuerySet[Complaint], f: QueueFilters, user: Any, now: datetime) -> QuerySet[Complaint]:
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee == "me":
        qs = qs.filter(assignee_id=getattr(user, "pk", None))
    elif f.assignee and f.assignee.isdigit():
        qs = qs.filter(assignee_id=int(f.assignee))
    elif f.assignee:
        qs = qs.filter(assignee__username=f.assignee)
    running = Q(status__in=list(workflow.SLA_STATES), sla_paused_at__isnull=True)
    if f.overdue:
        qs = qs.filter(running, due_at__lt=now)
    if f.due_soon:
        soon = now + timedelta(minutes=settings.SLA_DUE_SOON_MINUTES)
        qs = qs.filter(running, due_at__gte=now, due_at__lt=soon)
    if f.updated_since:
        qs = qs.filter(updated_at__gte=f.updated_since)
    return qs


def complaint_queue_for(*, user: Any, filters: QueueFilters | None = None) -> QuerySet[Complaint]:
    """The reviewer queue: complaints in the user's reach, filtered, ordered by due time.

    Overdue work comes first because it has the earliest due time; complaints without
    a running clock (decided, paused) sort after those with one.
    """
    f = filters or QueueFilters()
    now = timezone.now()
    qs = _filter_work(_filter_place_and_kind(_queue_base(user), f), f, user, now)
    return qs.order_by(F("due_at").asc(nulls_last=True), "-priority", "id")


def status_counts_for(*, user: Any, filters: QueueFilters | None = None) -> dict[str, int]:
    """Counts per status over the same filters (status itself excluded), one query."""
    f = filters or QueueFilters()
    f = QueueFilters(**{**f.__dict__, "status": None})
    qs = _filter_work(_filter_place_and_kind(visible_complaints(user), f), f, user, timezone.now())
    rows = qs.order_by().values("status").annotate(n=Count("id"))
    counts = {s.value: 0 for s in Status}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def complaint_get_for(*, user: Any, code: str) -> Complaint:
    """One complaint the user may see, or Complaint.DoesNotExist (-> 404, never 403)."""
    return _queue_base(user).select_related("reporter", "duplicate_of").get(code=code)


def timeline_for(*, user: Any, complaint: Complaint) -> QuerySet[AuditEvent]:
    """The audit events the user may see. Complainants see status changes and messages only."""
    qs = AuditEvent.objects.filter(complaint=complaint).select_related("actor").order_by("seq")
    if not access_for(user).staff_roles or not (access_for(user).covers(complaint.unit_path)):
        qs = qs.filter(action__in=[*workflow.BY_ACTION, "file", "evidence"])
    return qs


def notes_for(*, user: Any, complaint: Complaint) -> QuerySet[Note]:
    qs = Note.objects.filter(complaint=complaint).select_related("author")
    access = access_for(user)
    if not (access.staff_roles and access.covers(complaint.unit_path)):
        qs = qs.filter(visibility=NoteVisibility.COMPLAINANT)
    return qs


def complaint_by_receipt(*, code: str, secret: str) -> Complaint | None:
    """A complaint by receipt code and follow-up secret (constant-time compare), else None."""
    import hmac

    from complaints.services import hash_secret

    complaint = (
        Complaint.objects.select_related("reporter", "category", "election").filter(code=code.strip().upper()).first()
    )
    if complaint is None:
        hash_secret(secret)  # same work either way: no timing hint that the code exists
        return None
    if not hmac.compare_digest(complaint.reporter.secret_hash, hash_secret(secret)):
        return None
    return complaint


def duplicate_suggestions(*, user: Any, complaint: Complaint, limit: int = 5) -> QuerySet[Complaint]:
    """Likely duplicates: same election and category, same polling station (or place), same day."""
    day = timezone.localtime(complaint.occurred_at).date()
    qs = (
        visible_complaints(user)
        .filter(election_id=complaint.election_id, category_id=complaint.category_id, occurred_at__date=day)
        .exclude(pk=complaint.pk)
        .exclude(status=Status.DUPLICATE)
    )
    if complaint.polling_station_id:
        qs = qs.filter(polling_station_id=complaint.polling_station_id)
    else:
        qs = qs.filter(unit_path=complaint.unit_path)
    return qs.order_by("created_at")[:limit]
