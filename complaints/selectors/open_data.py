"""The aggregate open-data rows (``/open-data/counts.csv|.jsonl``): ``public_stats`` with filters, as flat rows.

Every count comes from ``selectors.public_stats`` (the floor, complementary suppression and,
for filtered figures, the differencing guard): nothing here counts complaints itself. The
columns are defined once (``COUNTS_COLUMNS``) for the files, the HXL row and the open-data
page's data dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Election
from complaints.selectors.public_stats import CountFilters, PublicCell, public_stats


@dataclass(frozen=True)
class OpenColumn:
    name: str
    kind: str  # "text", "integer", "boolean", "date"
    meaning: Any  # lazy translation, for the data dictionary
    hxl: str  # the Humanitarian Exchange Language hashtag (https://hxlstandard.org)


COUNTS_COLUMNS: tuple[OpenColumn, ...] = (
    OpenColumn("election", "text", gettext_lazy("Election (short name)"), "#event+code"),
    OpenColumn(
        "dimension",
        "text",
        gettext_lazy("What the row counts by: total, region, category, outcome or channel"),
        "#meta+dimension",
    ),
    OpenColumn("region", "text", gettext_lazy("Region code (rows of the region dimension)"), "#adm1+code"),
    OpenColumn(
        "category",
        "text",
        gettext_lazy("Top-level violation category code (rows of the category dimension)"),
        "#sector+code",
    ),
    OpenColumn(
        "outcome",
        "text",
        gettext_lazy("Outcome: in_review, substantiated, unsubstantiated or closed (rows of the outcome dimension)"),
        "#status+code",
    ),
    OpenColumn(
        "channel",
        "text",
        gettext_lazy("How the complaints came in: web, api, telegram, sms, phone… (rows of the channel dimension)"),
        "#meta+channel",
    ),
    OpenColumn(
        "label", "text", gettext_lazy("Name of the region, category or outcome, in the page's language"), "#meta+label"
    ),
    OpenColumn(
        "count",
        "integer",
        gettext_lazy("Number of complaints; empty when suppressed"),
        "#indicator+num+complaints",
    ),
    OpenColumn(
        "suppressed",
        "boolean",
        gettext_lazy("true when the count is hidden to protect reporters (see the suppression rule)"),
        "#meta+suppressed",
    ),
    OpenColumn("from", "date", gettext_lazy("First day counted (the filter), when given"), "#date+start"),
    OpenColumn("to", "date", gettext_lazy("Last day counted (the filter), when given"), "#date+end"),
)

DIMENSIONS = ("total", "region", "category", "outcome", "channel")


def _row(
    election: Election, filters: CountFilters, dimension: str, key: str, label: str, count: int | None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "election": election.slug,
        "dimension": dimension,
        "region": key if dimension == "region" else "",
        "category": key if dimension == "category" else "",
        "outcome": key if dimension == "outcome" else "",
        "channel": key if dimension == "channel" else "",
        "label": label,
        "count": count,
        "suppressed": count is None,
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
    }
    return row


def count_rows(*, election: Election, filters: CountFilters) -> list[dict[str, Any]]:
    """The total, then one row per region, top-level category, outcome and channel, counted over ``filters``."""
    stats = public_stats(election_id=election.pk, filters=filters)
    rows = [_row(election, filters, "total", "", _("All complaints"), stats.total)]
    dimensions: tuple[tuple[str, list[PublicCell]], ...] = (
        ("region", stats.by_region),
        ("category", stats.by_category),
        ("outcome", stats.by_outcome),
        ("channel", stats.by_channel),
    )
    for dimension, cells in dimensions:
        rows += [_row(election, filters, dimension, c.key, c.label, c.count) for c in cells]
    return rows
