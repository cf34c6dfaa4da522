"""Anonymised public counts, with the publication floor applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    Category,
    Complaint,
    Election,
    ElectionStatus,
    Status,
    TerritorialUnit,
)

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


def public_election(*, slug: str | None) -> Election | None:
    """The election the public pages show: the one named, else the active one, else the latest."""
    if slug:
        return Election.objects.filter(slug=slug).first()
    return (
        Election.objects.filter(status=ElectionStatus.ACTIVE).first()
        or Election.objects.order_by("-voting_day").first()
    )
