"""Every non-trivial read, split by subject; the old ``selectors.x`` names are re-exported here.

- ``queue``: the reviewer queue, its filters and its one order.
- ``complaints``: one complaint and its parts (timeline, notes, evidence), in the reader's scope.
- ``dashboard``: SLA breaches, reviewer load, counts by region and category.
- ``public_stats``: anonymised public counts behind the publication floor.
- ``reference``: elections, categories, regions, stations and staff for forms and pickers.
"""

from complaints.selectors.complaints import (
    complaint_by_receipt,
    complaint_for_complainant,
    complaint_get_for,
    complaints_reported_by,
    duplicate_suggestions,
    evidence_for,
    evidence_get_for,
    notes_for,
    timeline_for,
)
from complaints.selectors.dashboard import (
    CountRow,
    counts_by_category_for,
    counts_by_region_for,
    reviewer_load_for,
    sla_breaches_for,
)
from complaints.selectors.public_stats import PublicCell, PublicStats, public_election, public_stats
from complaints.selectors.queue import (
    QUEUE_ORDER,
    SLA_CLOCK_STOPPED,
    QueueFilters,
    SortKey,
    complaint_queue_for,
    complaints_in_reach,
    queue_ordering,
    status_counts_for,
)
from complaints.selectors.reference import (
    assignable_staff_for,
    filing_categories,
    filing_elections,
    filing_elections_all,
    filing_regions,
    polling_station_search,
    staff_user_get,
    staff_users,
)

__all__ = [
    "QUEUE_ORDER",
    "SLA_CLOCK_STOPPED",
    "CountRow",
    "PublicCell",
    "PublicStats",
    "QueueFilters",
    "SortKey",
    "assignable_staff_for",
    "complaint_by_receipt",
    "complaint_for_complainant",
    "complaint_get_for",
    "complaint_queue_for",
    "complaints_in_reach",
    "complaints_reported_by",
    "counts_by_category_for",
    "counts_by_region_for",
    "duplicate_suggestions",
    "evidence_for",
    "evidence_get_for",
    "filing_categories",
    "filing_elections",
    "filing_elections_all",
    "filing_regions",
    "notes_for",
    "polling_station_search",
    "public_election",
    "public_stats",
    "queue_ordering",
    "reviewer_load_for",
    "sla_breaches_for",
    "staff_user_get",
    "staff_users",
    "status_counts_for",
    "timeline_for",
]
