"""Anonymised public counts, with the publication floor applied."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    Category,
    Channel,
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
    by_channel: list[PublicCell]  # how complaints came in: web, API, Telegram, SMS, the hotline...


def _suppress(count: int) -> int | None:
    """Counts below the floor could single a reporter out: they are never published."""
    return count if count >= settings.PUBLIC_STATS_MIN_COUNT else None


def _leak(
    counts: dict[Any, int], groups: list[tuple[list[Any], Any]], hidden: set[Any]
) -> tuple[list[Any], Any] | None:
    """A sum through which a reader could learn something from that sum alone about a hidden cell.

    The reader knows every shown cell and, for a total given as ``None``, the published total.
    A sum leaks when exactly one of its cells is hidden (it is the rest's difference), or when
    its hidden cells are known to add up to less than the floor (each of them is then tiny).
    """
    floor = settings.PUBLIC_STATS_MIN_COUNT
    for members, total in groups:
        cells = members if total is None else [*members, total]
        unknown = [c for c in cells if c in hidden]
        if len(unknown) == 1:
            return members, total
        if unknown and (total is None or total not in hidden) and sum(counts[c] for c in unknown) < floor:
            return members, total
    return None


def _subtract(row: dict[Any, Fraction], factor: Fraction, other: dict[Any, Fraction]) -> None:
    """``row -= factor * other``, in place, keeping only non-zero entries."""
    for cell, value in other.items():
        result = row.get(cell, Fraction(0)) - factor * value
        if result:
            row[cell] = result
        else:
            row.pop(cell, None)


def _equation(members: list[Any], total: Any, hidden: set[Any]) -> dict[Any, Fraction]:
    """A sum as a linear equation over its hidden cells: members +1, the total -1."""
    row: dict[Any, Fraction] = {}
    for cell, sign in [*((m, 1) for m in members), *([(total, -1)] if total is not None else [])]:
        if cell in hidden:
            row[cell] = row.get(cell, Fraction(0)) + sign
    return {c: v for c, v in row.items() if v}


def _pinned(groups: list[tuple[list[Any], Any]], hidden: set[Any]) -> list[Any]:
    """The hidden cells whose value the sums pin down together, as a reader solving them would.

    Each sum is a linear equation over its hidden cells (the shown cells are constants). A hidden
    cell is pinned exactly when its unit vector lies in the equations' row space, which in the
    fully reduced row echelon form shows as a row with one non-zero entry. Exact arithmetic
    (fractions) over sparse rows: the tables here are a few hundred cells.
    """
    pivots: dict[Any, dict[Any, Fraction]] = {}
    for members, total in groups:
        row = _equation(members, total, hidden)
        for pivot, pivot_row in pivots.items():  # every pivot row is fully reduced: one pass
            if factor := row.get(pivot):
                _subtract(row, factor, pivot_row)
        if not row:
            continue
        pivot = min(row, key=repr)
        scale = row[pivot]
        row = {c: v / scale for c, v in row.items()}
        for pivot_row in pivots.values():  # keep the other rows reduced at the new pivot
            if factor := pivot_row.get(pivot):
                _subtract(pivot_row, factor, row)
        pivots[pivot] = row
    return sorted((p for p, r in pivots.items() if len(r) == 1), key=repr)


def suppress_linked(
    counts: dict[Any, int], groups: list[tuple[list[Any], Any]], also_hide: Iterable[Any] = ()
) -> set[Any]:
    """The cells to hide: primary suppression (under the floor) plus complementary suppression.

    ``groups`` lists cells that add up to a total cell (``None``: a total published elsewhere).
    While the sums would give a hidden cell away, one more cell is hidden: for a sum that leaks
    on its own, its smallest shown non-zero member, else its total; for a cell pinned only by
    several sums together (a two-way table), the smallest shown non-zero cell of a sum it is in.
    Zero cells are shown: a zero singles nobody out. ``also_hide``: cells hidden from the start
    for another reason (the differencing guard of filtered counts), protected like the small ones.
    """
    floor = settings.PUBLIC_STATS_MIN_COUNT
    hidden = {k for k, n in counts.items() if 0 < n < floor} | set(also_hide)
    lost: set[Any] = set()  # pinned whatever else is hidden around it (by a published total)
    every_sum = list(groups)
    while True:
        leak = _leak(counts, groups, hidden)
        if leak is not None:
            members, total = leak
            candidates = sorted((m for m in members if m not in hidden and counts[m] > 0), key=lambda m: (counts[m], m))
            if not candidates and total is not None and total not in hidden:
                candidates = [total]
            if not candidates:  # nothing left to hide in this sum: hide all of it that says anything
                hidden.update(c for c in [*members, total] if c is not None and counts[c] > 0)
                groups = [g for g in groups if g != leak]
                continue
            hidden.add(candidates[0])
            continue
        # A hidden zero worked out says nothing about anyone (only the guard or a total hides one).
        pinned = [c for c in _pinned(every_sum, hidden) if c not in lost and counts[c] > 0]
        if not pinned:
            return hidden
        candidate = _nearest_shown(counts, every_sum, hidden, pinned[0])
        if candidate is None:
            lost.add(pinned[0])
        else:
            hidden.add(candidate)


def _nearest_shown(counts: dict[Any, int], groups: list[tuple[list[Any], Any]], hidden: set[Any], cell: Any) -> Any:
    """The smallest shown non-zero cell of a sum ``cell`` is in; failing that, of a sum sharing a
    hidden cell with those, and so on outwards (None when the hidden cells around it are all there is)."""
    reached, seen = {cell}, 0
    while len(reached) > seen:
        seen = len(reached)
        around = {c for m, t in groups if reached & {*m, t} for c in [*m, *([t] if t is not None else [])]}
        shown = sorted((c for c in around if c not in hidden and counts[c] > 0), key=lambda c: (counts[c], repr(c)))
        if shown:
            return shown[0]
        reached |= around & hidden
    return None


def suppress_dimension(counts: dict[str, int], total_published: bool) -> dict[str, int | None]:
    """One dimension's cells (they add up to the total) with every hidden cell as None."""
    hidden = suppress_linked(counts, [(list(counts), None)] if total_published else [])
    return {k: (None if k in hidden else n) for k, n in counts.items()}


def _cells(counts: dict[str, int], labels: dict[str, str], published: dict[str, int | None]) -> list[PublicCell]:
    return [PublicCell(k, labels.get(k, k or "—"), published[k]) for k in counts]


# The total as a cell of each dimension's sum, in the guarded (filtered) suppression.
_TOTAL = ("total",)


def suppress_guarded(
    dimensions: list[dict[str, int]], total: int, guards: list[frozenset[str]], total_hidden: bool
) -> tuple[list[dict[str, int | None]], bool]:
    """Filtered counts: each dimension's cells with the total as a cell of its sum, so the total too
    can be hidden (by the guard, or as a complementary cell); once hidden in one dimension it is
    hidden in all, and the dimensions are worked again. Returns the cells and whether the total shows.
    """
    while True:
        results: list[dict[str, int | None]] = []
        for counts, extra in zip(dimensions, guards, strict=True):
            cells: dict[Any, int] = {**counts, _TOTAL: total}
            hide = set(extra) | ({_TOTAL} if total_hidden else set())
            hidden = suppress_linked(cells, [(list(counts), _TOTAL)], also_hide=hide)
            if _TOTAL in hidden and not total_hidden:
                break
            results.append({k: (None if k in hidden else n) for k, n in counts.items()})
        else:
            return results, not total_hidden
        total_hidden = True


def _top_level_totals(rows: list[Any], key: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in rows:
        if key == "unit_path":  # "kz/pav/pav-ekibastuz/" -> "pav", the first level below the country
            parts = (row[key] or "").strip("/").split("/")
            top = parts[1] if len(parts) > 1 else ""
        else:
            top = row[key]
        totals[top] = totals.get(top, 0) + row["n"]
    return totals


def _sorted(cells: list[PublicCell]) -> list[PublicCell]:
    return sorted(cells, key=lambda c: (-(c.count or 0), c.label))


# The public outcome groups: the key a reader filters on, and the statuses each one holds.
OUTCOME_STATES: dict[str, tuple[str, ...]] = {
    "in_review": (Status.SUBMITTED, Status.TRIAGED, Status.UNDER_REVIEW, Status.NEEDS_INFO),
    "substantiated": (Status.SUBSTANTIATED, Status.ESCALATED, Status.RESOLVED),
    "unsubstantiated": (Status.UNSUBSTANTIATED,),
    "closed": (Status.CLOSED,),
}
OUTCOME_LABELS = {
    "in_review": _("In review"),
    "substantiated": _("Substantiated"),
    "unsubstantiated": _("Not substantiated"),
    "closed": _("Closed"),
}


@dataclass(frozen=True)
class CountFilters:
    """What a reader of the open data narrows the counts to (all optional, combined with AND).

    ``region``: a territorial unit code (its units below included); ``category``: a category
    code (its sub-categories included); ``outcome``: a key of OUTCOME_STATES; ``date_from`` /
    ``date_to``: the day the irregularity happened, both included, in the registry's time zone;
    ``channel``: a ``Channel`` value (how it was filed).
    """

    region: str | None = None
    category: str | None = None
    outcome: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    channel: str | None = None

    def _values(self) -> tuple[Any, ...]:
        return (self.region, self.category, self.outcome, self.date_from, self.date_to, self.channel)

    def __bool__(self) -> bool:
        return any(v is not None for v in self._values())

    def cache_key(self) -> str:
        return "|".join(str(v or "") for v in self._values())

    def apply(self, qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
        if self.region:
            path = TerritorialUnit.objects.filter(code=self.region).values_list("path", flat=True).first()
            qs = qs.filter(unit_path__startswith=path) if path else qs.none()
        if self.category:
            qs = qs.filter(Q(category__code=self.category) | Q(category__code__startswith=self.category + "."))
        if self.outcome:
            qs = qs.filter(status__in=OUTCOME_STATES.get(self.outcome, ()))
        if self.date_from:
            qs = qs.filter(occurred_at__gte=_day_start(self.date_from))
        if self.date_to:
            qs = qs.filter(occurred_at__lt=_day_start(self.date_to + timedelta(days=1)))
        if self.channel:
            qs = qs.filter(channel=self.channel)
        return qs


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class _Raw:
    total: int
    by_region: dict[str, int]
    by_category: dict[str, int]
    by_outcome: dict[str, int]
    by_channel: dict[str, int]


def _raw_counts(qs: QuerySet[Complaint]) -> _Raw:
    by_path = list(qs.values("unit_path").annotate(n=Count("id")))
    by_cat = list(qs.values("category__code", "category__parent__code").annotate(n=Count("id")))
    by_status_channel = list(qs.values("status", "channel").annotate(n=Count("id")))  # one query for both
    counts: dict[str, int] = {}
    channels: dict[str, int] = {}
    for row in by_status_channel:
        counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
        channels[row["channel"]] = channels.get(row["channel"], 0) + row["n"]
    return _Raw(
        total=sum(counts.values()),
        by_region=_top_level_totals(by_path, "unit_path"),
        by_category=_top_level_totals(
            [{"top": r["category__parent__code"] or r["category__code"], "n": r["n"]} for r in by_cat], "top"
        ),
        by_outcome={k: sum(counts.get(s, 0) for s in states) for k, states in OUTCOME_STATES.items()},
        by_channel=dict(sorted(channels.items())),
    )


def _guards(raw: _Raw, whole: _Raw) -> tuple[bool, list[frozenset[str]]]:
    """The differencing guard of filtered counts: whether to hide the total, and which cells, so that
    subtracting a filtered figure from the election-wide one never gives a small count (0 < d < floor)."""
    floor = settings.PUBLIC_STATS_MIN_COUNT

    def small(part: int, of: int) -> bool:
        return 0 < of - part < floor

    def cells(part: dict[str, int], of: dict[str, int]) -> frozenset[str]:
        return frozenset(k for k, n in part.items() if small(n, of.get(k, 0)))

    guarded = [
        cells(raw.by_region, whole.by_region),
        cells(raw.by_category, whole.by_category),
        cells(raw.by_outcome, whole.by_outcome),
        cells(raw.by_channel, whole.by_channel),
    ]
    return small(raw.total, whole.total), guarded


def public_stats(*, election_id: int, filters: CountFilters | None = None) -> PublicStats:
    """Anonymised counts for the public, computed once per PUBLIC_STATS_CACHE_SECONDS and language.

    The page, its CSV and the API share the figures: a burst of requests costs one computation.
    ``filters`` (the open-data counts) narrow the complaints counted; see ``_public_stats``.
    """
    narrowed = filters.cache_key() if filters else ""
    key = f"public-stats:{election_id}:{get_language() or settings.LANGUAGE_CODE}:{narrowed}"
    stats = cache.get(key)
    if stats is None:
        stats = _public_stats(election_id, filters or None)
        cache.set(key, stats, settings.PUBLIC_STATS_CACHE_SECONDS)
    return stats


def _public_stats(election_id: int, filters: CountFilters | None = None) -> PublicStats:
    """Anonymised counts for the public: by region, top-level category, outcome and channel.

    Filtered counts pass the same floor and complementary suppression, and one more rule: a
    filtered figure that differs from its election-wide figure by less than the floor is
    hidden too (the guard), so subtracting one from the other gives no small count away.
    """
    qs = Complaint.objects.filter(election_id=election_id).exclude(status__in=PUBLIC_EXCLUDED).order_by()
    raw = _raw_counts(filters.apply(qs) if filters else qs)
    dimensions = [raw.by_region, raw.by_category, raw.by_outcome, raw.by_channel]
    total: int | None = _suppress(raw.total)
    if filters:
        hide_total, guarded = _guards(raw, _raw_counts(qs))
        published, shown = suppress_guarded(dimensions, raw.total, guarded, total is None or hide_total)
        total = raw.total if shown else None
    else:
        published = [suppress_dimension(counts, total is not None) for counts in dimensions]
    regions = {u.code: u.name for u in TerritorialUnit.objects.filter(level="region")}
    categories = {c.code: c.name for c in Category.objects.filter(parent__isnull=True)}
    labels = {k: str(v) for k, v in OUTCOME_LABELS.items()}
    return PublicStats(
        total=total,
        by_region=_sorted(_cells(raw.by_region, regions, published[0])),
        by_category=_sorted(_cells(raw.by_category, categories, published[1])),
        by_outcome=_cells(raw.by_outcome, labels, published[2]),
        by_channel=_sorted(_cells(raw.by_channel, {c.value: str(c.label) for c in Channel}, published[3])),
    )


def public_election(*, slug: str | None) -> Election | None:
    """The election the public pages show: the one named, else the active one, else the latest."""
    if slug:
        return Election.objects.filter(slug=slug).first()
    return (
        Election.objects.filter(status=ElectionStatus.ACTIVE).first()
        or Election.objects.order_by("-voting_day").first()
    )
