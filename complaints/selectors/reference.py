"""Reference data for forms and pickers: elections, categories, regions, stations, staff."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Q, QuerySet, When

from complaints.access import (
    GROUP_COORDINATOR,
    GROUP_REVIEWER,
    access_for,
    staff_in_scope,
)
from complaints.models import (
    Category,
    Complaint,
    Election,
    ElectionStatus,
    PollingStation,
    TerritorialUnit,
    UnitLevel,
)


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


def regions_for(*, user: Any) -> list[TerritorialUnit]:
    """The regions a staff user's queue can hold: inside their scope, or holding a unit of it."""
    access = access_for(user)
    regions = list(filing_regions())
    if access.everywhere:
        return regions
    paths = access.scope_paths
    return [r for r in regions if any(r.path.startswith(p) or p.startswith(r.path) for p in paths)]


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
