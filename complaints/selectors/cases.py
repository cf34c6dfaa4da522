"""Reads of the legal case: a complaint's submissions, deadlines and respondents; the outcome table.

The outcome table counts submissions the way observer groups publish them (ISFED's
"346 complaints to district commissions: 56 upheld, 60 partly upheld, 198 rejected,
28 not reviewed"): submitted, decided, upheld, partly upheld, rejected, not considered,
no answer by the deadline, appealed; by the level of the body, the region and the category.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import deadlines, legal_workflow
from complaints.access import access_for, visible_complaints
from complaints.models import (
    Authority,
    AuthorityKind,
    AuthorityLevel,
    CaseDeadline,
    CaseDeadlineState,
    Category,
    Complaint,
    DeadlineKind,
    DeadlineRule,
    Holiday,
    Respondent,
    RespondentReply,
    Submission,
    SubmissionState,
    TerritorialUnit,
)
from complaints.selectors.public_stats import HIDDEN, PUBLIC_EXCLUDED, suppress_linked

# The complaint's next running deadline, per row: the queue sorts and filters on it.
NEXT_DEADLINE = Subquery(
    CaseDeadline.objects.filter(complaint=OuterRef("pk"), state=CaseDeadlineState.OPEN)
    .order_by("due_at")
    .values("due_at")[:1]
)


def deadline_within_q(within: timedelta, now: datetime | None = None) -> Q:
    """Complaints with a running statutory deadline due within ``within`` (or already due)."""
    now = now or timezone.now()
    return Q(
        pk__in=CaseDeadline.objects.filter(state=CaseDeadlineState.OPEN, due_at__lte=now + within).values(
            "complaint_id"
        )
    )


@dataclass(frozen=True)
class NextDeadline:
    kind: str
    label: str
    due_at: datetime
    legal_reference: str
    urgent: bool = False
    estimated: bool = False  # computed for display; the periodic check has not started the clock yet
    submission_id: int | None = None

    @property
    def overdue(self) -> bool:
        return self.due_at <= timezone.now()


def _next_from(deadline: CaseDeadline) -> NextDeadline:
    return NextDeadline(
        deadline.kind,
        str(DeadlineKind(deadline.kind).label),
        deadline.due_at,
        deadline.legal_reference,
        deadline.urgent,
        False,
        deadline.submission_id,
    )


def _estimated_filing(complaint: Complaint, has_filing_clock: bool, has_submission: bool) -> NextDeadline | None:
    if has_filing_clock or has_submission or complaint.status not in legal_workflow.FILING_PENDING_STATES:
        return None
    election = complaint.election
    rules = list(DeadlineRule.objects.filter(country=election.country or "KZ", is_active=True))
    rule = deadlines.pick_rule(rules, kind=DeadlineKind.FILING, election_id=election.pk)
    if rule is None:
        return None
    calendar = deadlines.Calendar.of(
        Holiday.objects.filter(country=election.country or "KZ").values_list("date", "is_day_off")
    )
    due = deadlines.compute_due(complaint.occurred_at, rule, calendar=calendar, voting_day=election.voting_day)
    if due.at <= timezone.now():
        return None
    label = str(DeadlineKind.FILING.label)
    return NextDeadline(DeadlineKind.FILING, label, due.at, rule.legal_reference, due.urgent, True)


@dataclass
class CaseView:
    complaint: Complaint
    submissions: list[Submission]
    deadlines: list[CaseDeadline]
    respondents: list[Respondent]
    next_deadline: NextDeadline | None
    chains: list[list[Submission]] = field(default_factory=list)


def _chains(submissions: list[Submission]) -> list[list[Submission]]:
    """Each first submission followed by its appeals, in order: precinct -> territorial -> ... -> court."""
    by_parent: dict[int | None, list[Submission]] = {}
    for s in submissions:
        by_parent.setdefault(s.appeal_of_id, []).append(s)
    chains = []
    for root in by_parent.get(None, []):
        chain, frontier = [root], [root]
        while frontier:
            nxt = [child for parent in frontier for child in by_parent.get(parent.pk, [])]
            chain += nxt
            frontier = nxt
        chains.append(chain)
    return chains


def submissions_for(*, complaint: Complaint) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(complaint=complaint)
        .select_related("authority", "authority__unit", "decision", "deadline_rule", "created_by")
        .order_by("submitted_at", "id")
    )


def case_for(*, user: Any, complaint: Complaint) -> CaseView:
    """The whole case of a complaint the user works on (callers have checked the scope)."""
    submissions = list(submissions_for(complaint=complaint))
    clocks = list(CaseDeadline.objects.filter(complaint=complaint).order_by("due_at", "id"))
    respondents = list(
        Respondent.objects.filter(complaint=complaint).prefetch_related(
            Prefetch("replies", queryset=RespondentReply.objects.order_by("received_on", "id"))
        )
    )
    running = [d for d in clocks if d.state == CaseDeadlineState.OPEN]
    next_deadline = _next_from(running[0]) if running else None
    if next_deadline is None:
        has_filing = any(d.kind == DeadlineKind.FILING for d in clocks)
        next_deadline = _estimated_filing(complaint, has_filing, bool(submissions))
    return CaseView(complaint, submissions, clocks, respondents, next_deadline, _chains(submissions))


def submission_get_for(*, user: Any, complaint: Complaint, pk: int) -> Submission:
    """A submission of a complaint the caller works on, or Submission.DoesNotExist (-> 404)."""
    return submissions_for(complaint=complaint).get(pk=pk)


def respondent_get_for(*, user: Any, complaint: Complaint, pk: int) -> Respondent:
    return Respondent.objects.get(complaint=complaint, pk=pk)


def authorities_for(*, complaint: Complaint | None = None) -> QuerySet[Authority]:
    """Bodies to choose from: the register (active), those covering the complaint's place first."""
    return Authority.objects.filter(is_active=True).select_related("unit").order_by("kind", "level", "code")


def authority_suggest(*, complaint: Complaint, authorities: list[Authority] | None = None) -> Authority | None:
    """The commission competent for the complaint's place: the deepest one whose territory covers it."""
    candidates = authorities if authorities is not None else list(authorities_for())
    covering = {complaint.unit_path[: i + 1] for i, ch in enumerate(complaint.unit_path) if ch == "/"}
    fitting = [
        a for a in candidates if a.kind == AuthorityKind.COMMISSION and (a.unit is None or a.unit.path in covering)
    ]
    return max(fitting, key=lambda a: len(a.unit.path) if a.unit else 0, default=None)


# --- the outcome table -------------------------------------------------------------------------

OUTCOME_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("submitted", _("Submitted")),
    ("decided", _("Decided")),
    ("upheld", _("Upheld")),
    ("partly_upheld", _("Partly upheld")),
    ("rejected", _("Rejected")),
    ("not_considered", _("Not considered")),
    ("no_answer", _("No answer by the deadline")),
    ("appealed", _("Appealed")),
)
OUTCOME_KEYS = tuple(k for k, _label in OUTCOME_COLUMNS)
DIMENSIONS: tuple[tuple[str, Any], ...] = (
    ("level", _("By level of the body")),
    ("region", _("By region")),
    ("category", _("By category")),
)
RESULT_COLUMN = {
    "upheld": "upheld",
    "partly_upheld": "partly_upheld",
    "rejected": "rejected",
    "returned": "not_considered",
}


@dataclass
class OutcomeRow:
    key: str
    label: str
    counts: dict[str, int]

    def cells(self) -> list[int | None]:
        return [self.counts.get(k, 0) for k in OUTCOME_KEYS]


@dataclass
class OutcomeTable:
    total: OutcomeRow
    by: dict[str, list[OutcomeRow]]

    @property
    def columns(self) -> tuple[tuple[str, Any], ...]:
        return OUTCOME_COLUMNS

    @property
    def dimensions(self) -> list[tuple[str, Any, list[OutcomeRow]]]:
        return [(key, label, self.by.get(key, [])) for key, label in DIMENSIONS]

    @property
    def empty(self) -> bool:
        return not self.total.counts.get("submitted")


def _zero() -> dict[str, int]:
    return dict.fromkeys(OUTCOME_KEYS, 0)


def _count(row: Mapping[str, Any], into: dict[str, int]) -> None:
    into["submitted"] += 1
    if row["state"] == SubmissionState.DECIDED:
        into["decided"] += 1
    if (column := RESULT_COLUMN.get(row["decision__result"] or "")) is not None:
        into[column] += 1
    if row["state"] == SubmissionState.NO_ANSWER:
        into["no_answer"] += 1
    if row["appealed"]:
        into["appealed"] += 1


def outcome_table(submissions: QuerySet[Submission]) -> OutcomeTable:
    """Count the submissions: one query for the rows, one each for the region and category names."""
    rows = submissions.order_by().values(
        "state",
        "decision__result",
        "authority__level",
        "complaint__unit_path",
        "complaint__category__code",
        "complaint__category__parent__code",
        appealed=Exists(Submission.objects.filter(appeal_of=OuterRef("pk"))),
    )
    total = _zero()
    groups: dict[str, dict[str, dict[str, int]]] = {key: {} for key, _label in DIMENSIONS}
    for row in rows:
        parts = (row["complaint__unit_path"] or "").strip("/").split("/")
        keys = {
            "level": row["authority__level"] or "",
            "region": parts[1] if len(parts) > 1 else "",
            "category": row["complaint__category__parent__code"] or row["complaint__category__code"] or "",
        }
        _count(row, total)
        for dimension, key in keys.items():
            _count(row, groups[dimension].setdefault(key, _zero()))
    regions = {u.code: u.name for u in TerritorialUnit.objects.filter(code__in=list(groups["region"]))}
    categories = {c.code: c.name for c in Category.objects.filter(code__in=list(groups["category"]))}
    level_labels = {lv.value: str(lv.label) for lv in AuthorityLevel}
    labels = {
        "level": lambda k: level_labels.get(k) or str(_("Not in the register")),
        "region": lambda k: regions.get(k) or k or "—",
        "category": lambda k: categories.get(k) or k or "—",
    }
    order = {lv.value: i for i, lv in enumerate(AuthorityLevel)}
    by: dict[str, list[OutcomeRow]] = {}
    for dimension, counts in groups.items():
        made = [OutcomeRow(k, labels[dimension](k), c) for k, c in counts.items()]
        if dimension == "level":
            made.sort(key=lambda r: order.get(r.key, len(order)))
        else:
            made.sort(key=lambda r: (-r.counts["submitted"], r.label))
        by[dimension] = made
    return OutcomeTable(OutcomeRow("", str(_("All bodies")), total), by)


def case_outcomes_for(*, user: Any, election: int | None = None) -> OutcomeTable:
    """The outcome table over the submissions of the complaints in the user's scope."""
    qs = Submission.objects.filter(complaint__in=visible_complaints(user))
    if not access_for(user).staff_roles:
        qs = qs.none()
    if election:
        qs = qs.filter(complaint__election_id=election)
    return outcome_table(qs)


@dataclass(frozen=True)
class PublicOutcomeRow:
    key: str
    label: str
    cells: tuple[str, ...]  # each count, or HIDDEN (below the floor, or it would give one away)


RESULT_KEYS = tuple(RESULT_COLUMN.values())  # the decided submissions, by result: they add up to "decided"


def _public_cells(table: OutcomeTable) -> dict[tuple[str, str, str], str]:
    """Every cell of the table as published: hidden ones (small, or giving a small one away) as HIDDEN.

    Rows of a dimension add up, column by column, to the total row; in every row the result
    columns add up to "decided". Both kinds of sum are closed against working a hidden cell out.
    """
    counts: dict[tuple[str, str, str], int] = {("", "", c): table.total.counts[c] for c in OUTCOME_KEYS}
    groups: list[tuple[list[Any], Any]] = []
    rows: list[tuple[str, str]] = [("", "")]
    for dimension, _label, dim_rows in table.dimensions:
        for r in dim_rows:
            rows.append((dimension, r.key))
            counts.update({(dimension, r.key, c): r.counts[c] for c in OUTCOME_KEYS})
        for c in OUTCOME_KEYS:
            groups.append(([(dimension, r.key, c) for r in dim_rows], ("", "", c)))
    for dimension, key in rows:
        groups.append(([(dimension, key, c) for c in RESULT_KEYS], (dimension, key, "decided")))
    hidden = suppress_linked(counts, groups)
    return {cell: (HIDDEN if cell in hidden else str(n)) for cell, n in counts.items()}


def _public_rows(
    cells: dict[tuple[str, str, str], str], dimension: str, rows: list[OutcomeRow]
) -> list[PublicOutcomeRow]:
    return [PublicOutcomeRow(r.key, r.label, tuple(cells[(dimension, r.key, c)] for c in OUTCOME_KEYS)) for r in rows]


@dataclass(frozen=True)
class PublicOutcomes:
    columns: tuple[tuple[str, Any], ...]
    total: PublicOutcomeRow
    dimensions: list[tuple[str, Any, list[PublicOutcomeRow]]]
    empty: bool


def public_case_outcomes(*, election_id: int) -> PublicOutcomes:
    """The outcome table for the public, with the suppression floor applied to every cell."""
    qs = Submission.objects.filter(complaint__election_id=election_id).exclude(complaint__status__in=PUBLIC_EXCLUDED)
    table = outcome_table(qs)
    cells = _public_cells(table)
    return PublicOutcomes(
        OUTCOME_COLUMNS,
        _public_rows(cells, "", [table.total])[0],
        [(key, label, _public_rows(cells, key, rows)) for key, label, rows in table.dimensions],
        table.empty,
    )
