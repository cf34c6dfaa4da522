"""Every non-trivial read: the reviewer queue, counts, timelines. Query-counted in tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import workflow
from complaints.access import (
    GROUP_COORDINATOR,
    GROUP_REVIEWER,
    access_for,
    roles_for,
    staff_in_scope,
    visible_complaints,
)
from complaints.models import (
    AuditEvent,
    Category,
    Complaint,
    Election,
    ElectionStatus,
    Evidence,
    Note,
    NoteVisibility,
    PollingStation,
    Status,
    TerritorialUnit,
    UnitLevel,
)


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


# 0 while the complaint's SLA clock runs, 1 otherwise (paused in needs_info, decided, closed).
SLA_CLOCK_STOPPED = Case(
    When(Q(status__in=sorted(workflow.SLA_STATES), sla_paused_at__isnull=True), then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)

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


def complaint_queue_for(*, user: Any, filters: QueueFilters | None = None) -> QuerySet[Complaint]:
    """The reviewer queue: complaints in the user's reach, filtered, in QUEUE_ORDER.

    Complaints whose SLA clock runs come first, by due time, so overdue work leads; those
    without a running clock (paused in needs_info, decided, closed) follow. The API's default
    ordering pages over the same QUEUE_ORDER with a keyset cursor.
    """
    f = filters or QueueFilters()
    qs = _filter_work(_filter_place_and_kind(_queue_base(user), f), f, user, timezone.now())
    return qs.order_by(*queue_ordering())


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

    from complaints.access import hash_secret

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


# --- public statistics ----------------------------------------------------------------

# Public figures leave out what was never a real report.
PUBLIC_EXCLUDED = (Status.REJECTED, Status.WITHDRAWN, Status.DUPLICATE)


@dataclass(frozen=True)
class PublicCell:
    key: str
    label: str
    count: int | None  # None: suppressed, fewer than the floor

    @property
    def display(self) -> str:
        return str(self.count) if self.count is not None else f"<{settings.PUBLIC_STATS_MIN_COUNT}"


@dataclass(frozen=True)
class PublicStats:
    total: int | None
    by_region: list[PublicCell]
    by_category: list[PublicCell]
    by_outcome: list[PublicCell]


def _suppress(count: int) -> int | None:
    """Counts below the floor could single a reporter out: they are never published."""
    return count if count >= settings.PUBLIC_STATS_MIN_COUNT else None


def _top_level_cells(rows: list[Any], key: str, units: dict[str, str]) -> list[PublicCell]:
    totals: dict[str, int] = {}
    for row in rows:
        if key == "unit_path":  # "kz/pav/pav-ekibastuz/" -> "pav", the first level below the country
            parts = (row[key] or "").strip("/").split("/")
            top = parts[1] if len(parts) > 1 else ""
        else:
            top = row[key]
        totals[top] = totals.get(top, 0) + row["n"]
    cells = [PublicCell(k, units.get(k, k or "—"), _suppress(n)) for k, n in totals.items()]
    return sorted(cells, key=lambda c: (-(c.count or 0), c.label))


def public_stats(*, election_id: int) -> PublicStats:
    """Anonymised counts for the public: by region, top-level category and outcome."""
    from complaints.models import Category

    qs = Complaint.objects.filter(election_id=election_id).exclude(status__in=PUBLIC_EXCLUDED).order_by()
    by_path = list(qs.values("unit_path").annotate(n=Count("id")))
    by_cat = list(qs.values("category__code", "category__parent__code").annotate(n=Count("id")))
    by_status = list(qs.values("status").annotate(n=Count("id")))
    regions = {u.code: u.name for u in TerritorialUnit.objects.filter(level="region")}
    categories = {c.code: c.name for c in Category.objects.filter(parent__isnull=True)}
    outcome = {
        "in_review": [Status.SUBMITTED, Status.TRIAGED, Status.UNDER_REVIEW, Status.NEEDS_INFO],
        "substantiated": [Status.SUBSTANTIATED, Status.ESCALATED, Status.RESOLVED],
        "unsubstantiated": [Status.UNSUBSTANTIATED],
        "closed": [Status.CLOSED],
    }
    labels = {
        "in_review": _("In review"),
        "substantiated": _("Substantiated"),
        "unsubstantiated": _("Not substantiated"),
        "closed": _("Closed"),
    }
    counts = {row["status"]: row["n"] for row in by_status}
    outcomes = [
        PublicCell(k, str(labels[k]), _suppress(sum(counts.get(s, 0) for s in states))) for k, states in outcome.items()
    ]
    return PublicStats(
        total=_suppress(sum(counts.values())),
        by_region=_top_level_cells(by_path, "unit_path", regions),
        by_category=_top_level_cells(
            [{"top": r["category__parent__code"] or r["category__code"], "n": r["n"]} for r in by_cat],
            "top",
            categories,
        ),
        by_outcome=outcomes,
    )


# --- web UI reads (filing, complainant pages, dashboard) ------------------------


def filing_elections() -> QuerySet[Election]:
    """Elections that take complaints: active first, then upcoming."""
    return Election.objects.exclude(status=ElectionStatus.ARCHIVED).order_by(
        Case(When(status=ElectionStatus.ACTIVE, then=0), default=1), "-voting_day", "id"
    )


def filing_elections_all() -> QuerySet[Election]:
    """Every election, newest first (for filters, which may look at archived ones)."""
    return Election.objects.order_by("-voting_day", "id")


def filing_categories() -> QuerySet[Category]:
    """Active categories in picker order (parents before their children)."""
    return Category.objects.filter(is_active=True).select_related("parent").order_by("sort_order", "code")


def filing_regions() -> QuerySet[TerritorialUnit]:
    return TerritorialUnit.objects.filter(level=UnitLevel.REGION).order_by("path")


def polling_station_search(*, query: str, limit: int = 10) -> list[PollingStation]:
    """Polling stations by number (exact first, then prefix) or by a piece of the address."""
    term = query.strip().lstrip("№#").strip()
    if not term:
        return []
    address = Q(address__icontains=term)
    # SQLite folds case for ASCII only: also try the usual spellings of Cyrillic words.
    for variant in {term.lower(), term.capitalize(), term.title(), term.upper()}:
        address |= Q(address__contains=variant)
    qs = PollingStation.objects.select_related("unit").filter(
        Q(number__iexact=term) | Q(number__istartswith=term) | address
    )
    exact_first = Case(When(number__iexact=term, then=0), When(number__istartswith=term, then=1), default=2)
    return list(qs.order_by(exact_first, "number", "id")[:limit])


def complaints_reported_by(*, user: Any) -> QuerySet[Complaint]:
    """A signed-in filer's own complaints (named ones; anonymous filings are not linked)."""
    if not getattr(user, "is_authenticated", False):
        return Complaint.objects.none()
    return (
        Complaint.objects.filter(reporter__user_id=user.pk)
        .select_related("election", "category", "polling_station", "unit")
        .order_by("-created_at", "-id")
    )


def complaint_for_complainant(*, code: str, user: Any, tracked_ids: list[int]) -> Complaint | None:
    """A complaint its filer may follow: their own (signed in) or one unlocked with code + secret."""
    complaint = (
        Complaint.objects.select_related("reporter", "election", "category", "polling_station", "unit")
        .filter(code=code.strip().upper())
        .first()
    )
    if complaint is None:
        return None
    own = getattr(user, "is_authenticated", False) and complaint.reporter.user_id == user.pk
    return complaint if own or complaint.pk in tracked_ids else None


def evidence_for(*, complaint: Complaint) -> QuerySet[Evidence]:
    return Evidence.objects.filter(complaint=complaint).order_by("uploaded_at", "id")


def evidence_get_for(*, user: Any, code: str, evidence_id: int) -> Evidence:
    """One evidence file of a complaint the user works on, or Evidence.DoesNotExist."""
    complaint = complaint_get_for(user=user, code=code)
    if not roles_for(user, complaint) & workflow.STAFF:
        raise Evidence.DoesNotExist("No such evidence.")
    return Evidence.objects.get(complaint=complaint, pk=evidence_id)


def staff_users() -> QuerySet[Any]:
    """Active reviewers and coordinators, for assignment pickers."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[GROUP_REVIEWER, GROUP_COORDINATOR])
        .distinct()
        .order_by("username")
    )


def staff_user_get(*, pk: int) -> Any:
    """An active reviewer or coordinator by id, or DoesNotExist."""
    return staff_users().get(pk=pk)


def assignable_staff_for(*, complaint: Complaint) -> list[Any]:
    """Reviewers and coordinators whose scope covers the complaint."""
    users = {u.pk: u for u in staff_in_scope(complaint, GROUP_REVIEWER)}
    users.update({u.pk: u for u in staff_in_scope(complaint, GROUP_COORDINATOR)})
    return sorted(users.values(), key=lambda u: u.get_username())


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
    qs = _queue_base(user).filter(_running_overdue(timezone.now()))
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
