"""Anonymised public counts, with the publication floor applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    Category,
    Complaint,
    Election,
    ElectionStatus,
    Status,
    TerritorialUnit,
)

# How a hidden count is shown: the same mark for a small count and for one hidden beside it
# (complementary suppression), so the reader cannot tell which is which.
HIDDEN = "x"

# Public figures leave out what was never a real report.
PUBLIC_EXCLUDED = (Status.REJECTED, Status.WITHDRAWN, Status.DUPLICATE)


@dataclass(frozen=True)
class PublicCell:
    key: str
    label: str
    count: int | None  # None: suppressed, fewer than the floor

    @property
    def display(self) -> str:
        return str(self.count) if self.count is not None else HIDDEN


@dataclass(frozen=True)
class PublicStats:
    total: int | None
    by_region: list[PublicCell]
    by_category: list[PublicCell]
    by_outcome: list[PublicCell]


def _suppress(count: int) -> int | None:
    """Counts below the floor could single a reporter out: they are never published."""
    return count if count >= settings.PUBLIC_STATS_MIN_COUNT else None


def _leak(
    counts: dict[Any, int], groups: list[tuple[list[Any], Any]], hidden: set[Any]
) -> tuple[list[Any], Any] | None:
    """A group through which a reader working the sums could learn something about a hidden cell.

    The reader knows every shown cell and, for a total given as ``None``, the published total.
    Wherever one cell of a sum is unknown, it is worked out, and the reasoning repeats. A
    group leaks when it pins down a hidden cell, or when its unknown cells are known to add
    up to less than the floor (each of them is then known to be tiny).
    """
    floor = settings.PUBLIC_STATS_MIN_COUNT
    known = set(counts) - hidden
    progress = True
    while progress:
        progress = False
        for members, total in groups:
            cells = members if total is None else [*members, total]
            unknown = [c for c in cells if c not in known]
            if len(unknown) == 1:
                if unknown[0] in hidden:
                    return members, total
                known.add(unknown[0])
                progress = True
            elif unknown and (total is None or total in known) and sum(counts[c] for c in unknown) < floor:
                return members, total
    return None


def suppress_linked(counts: dict[Any, int], groups: list[tuple[list[Any], Any]]) -> set[Any]:
    """The cells to hide: primary suppression (under the floor) plus complementary suppression.

    ``groups`` lists cells that add up to a total cell (``None``: a total published elsewhere).
    While working the sums would give a hidden cell away, one more cell of the leaking sum is
    hidden: its smallest shown non-zero member, else its total. Zero cells are shown: a zero
    singles nobody out (and hiding one protects nothing, the sum check sees through it).
    """
    floor = settings.PUBLIC_STATS_MIN_COUNT
    hidden = {k for k, n in counts.items() if 0 < n < floor}
    while (leak := _leak(counts, groups, hidden)) is not None:
        members, total = leak
        candidates = sorted((m for m in members if m not in hidden and counts[m] > 0), key=lambda m: (counts[m], m))
        if not candidates and total is not None and total not in hidden:
            candidates = [total]
        if not candidates:  # nothing left to hide in this sum: hide all of it that says anything
            hidden.update(c for c in [*members, total] if c is not None and counts[c] > 0)
            groups = [g for g in groups if g != leak]
            continue
        hidden.add(candidates[0])
    return hidden


def suppress_dimension(counts: dict[str, int], total_published: bool) -> dict[str, int | None]:
    """One dimension's cells (they add up to the total) with every hidden cell as None."""
    hidden = suppress_linked(counts, [(list(counts), None)] if total_published else [])
    return {k: (None if k in hidden else n) for k, n in counts.items()}


def _cells(counts: dict[str, int], labels: dict[str, str], total_published: bool) -> list[PublicCell]:
    published = suppress_dimension(counts, total_published)
    return [PublicCell(k, labels.get(k, k or "—"), published[k]) for k in counts]


def _top_level_cells(rows: list[Any], key: str, units: dict[str, str], total_published: bool) -> list[PublicCell]:
    totals: dict[str, int] = {}
    for row in rows:
        if key == "unit_path":  # "kz/pav/pav-ekibastuz/" -> "pav", the first level below the country
            parts = (row[key] or "").strip("/").split("/")
            top = parts[1] if len(parts) > 1 else ""
        else:
            top = row[key]
        totals[top] = totals.get(top, 0) + row["n"]
    cells = _cells(totals, units, total_published)
    return sorted(cells, key=lambda c: (-(c.count or 0), c.label))


def public_stats(*, election_id: int) -> PublicStats:
    """Anonymised counts for the public, computed once per PUBLIC_STATS_CACHE_SECONDS and language.

    The page, its CSV and the API share the figures: a burst of requests costs one computation.
    """
    key = f"public-stats:{election_id}:{get_language() or settings.LANGUAGE_CODE}"
    stats = cache.get(key)
    if stats is None:
        stats = _public_stats(election_id)
        cache.set(key, stats, settings.PUBLIC_STATS_CACHE_SECONDS)
    return stats


def _public_stats(election_id: int) -> PublicStats:
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
    total = _suppress(sum(counts.values()))
    published = total is not None
    outcomes = _cells(
        {k: sum(counts.get(s, 0) for s in states) for k, states in outcome.items()},
        {k: str(v) for k, v in labels.items()},
        published,
    )
    return PublicStats(
        total=total,
        by_region=_top_level_cells(by_path, "unit_path", regions, published),
        by_category=_top_level_cells(
            [{"top": r["category__parent__code"] or r["category__code"], "n": r["n"]} for r in by_cat],
            "top",
            categories,
            published,
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
