"""Reads of published cases: the public list with its filters, one case's public story, the datasets' rows.

A published case's outcome is read live from its legal case (the latest submission: its
decision, its missing answer, a pending appeal), so the list, the feeds and the datasets
follow the authority's decision the moment a coordinator records it; ``changed_at`` moves
with it (the Atom entry's ``updated``). Nothing here reads the reporter, the receipt code,
staff, notes or the original files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, CharField, DateTimeField, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    AuthorityLevel,
    Category,
    Complaint,
    Decision,
    Election,
    Evidence,
    EvidenceCopyState,
    PublishedCase,
    Submission,
    SubmissionState,
    TerritorialUnit,
    UnitLevel,
)
from complaints.selectors.cases import OUTCOME_COLUMNS, RESULT_COLUMN, submissions_for

COPY_READY = EvidenceCopyState.READY
_LABELS = dict(OUTCOME_COLUMNS)
# The outcome of one published case, as the public list filters on it (?outcome=<key>).
CASE_OUTCOMES: tuple[tuple[str, Any], ...] = (
    ("not_submitted", _("Not filed with an authority")),
    ("submitted", _("Awaiting the authority's answer")),
    ("upheld", _LABELS["upheld"]),
    ("partly_upheld", _LABELS["partly_upheld"]),
    ("rejected", _LABELS["rejected"]),
    ("not_considered", _LABELS["not_considered"]),
    ("no_answer", _LABELS["no_answer"]),
    ("appealed", _("Appealed, awaiting the answer")),
)
CASE_OUTCOME_KEYS = tuple(k for k, _label in CASE_OUTCOMES)


@dataclass(frozen=True)
class CaseFilters:
    """The public filters, already parsed: election slug, region code, category code, outcome key, incident dates."""

    election: str = ""
    region: str = ""
    category: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def query(self) -> dict[str, str]:
        """The filters as GET parameters (for links: pagination, feeds, datasets)."""
        pairs = {
            "election": self.election,
            "region": self.region,
            "category": self.category,
            "outcome": self.outcome,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in pairs.items() if v}


def _outcome() -> Coalesce:
    """The outcome of the latest submission (an appeal comes after what it challenges), in one subquery."""
    whens = [When(decision__result=result, then=Value(key)) for result, key in RESULT_COLUMN.items()]
    per_submission = Case(
        *whens,
        When(state=SubmissionState.NO_ANSWER, then=Value("no_answer")),
        When(appeal_of__isnull=False, then=Value("appealed")),
        default=Value("submitted"),
        output_field=CharField(),
    )
    latest = (
        Submission.objects.filter(complaint_id=OuterRef("complaint_id"))
        .annotate(case_outcome=per_submission)
        .order_by("-submitted_at", "-id")
        .values("case_outcome")[:1]
    )
    return Coalesce(Subquery(latest), Value("not_submitted"), output_field=CharField())


def _changed_at() -> Greatest:
    decided = Subquery(
        Decision.objects.filter(submission__complaint_id=OuterRef("complaint_id"))
        .order_by("-recorded_at")
        .values("recorded_at")[:1]
    )
    filed = Subquery(
        Submission.objects.filter(complaint_id=OuterRef("complaint_id"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return Greatest(
        F("published_at"),
        Coalesce(decided, F("published_at"), output_field=DateTimeField()),
        Coalesce(filed, F("published_at"), output_field=DateTimeField()),
        output_field=DateTimeField(),
    )


def _annotated(qs: QuerySet[PublishedCase]) -> QuerySet[PublishedCase]:
    related = qs.select_related("election", "region", "category", "complaint__polling_station")
    # Declared on the model for type checkers (PublishedCase.outcome, .changed_at); computed here.
    return related.annotate(**{"outcome": _outcome(), "changed_at": _changed_at()})


def published_cases(filters: CaseFilters | None = None) -> QuerySet[PublishedCase]:
    """The cases published now (never an unpublished one), newest first, with ``outcome`` and ``changed_at``."""
    filters = filters or CaseFilters()
    qs = PublishedCase.objects.filter(unpublished_at__isnull=True)
    if filters.election:
        qs = qs.filter(election__slug=filters.election)
    if filters.region:
        qs = qs.filter(region__code=filters.region)
    if filters.category:
        qs = qs.filter(Q(category__code=filters.category) | Q(category__parent__code=filters.category))
    if filters.date_from:
        qs = qs.filter(occurred_on__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(occurred_on__lte=filters.date_to)
    qs = _annotated(qs)
    if filters.outcome:
        qs = qs.filter(**{"outcome": filters.outcome})  # the annotation, not a column
    return qs.order_by("-published_at", "-id")


def published_case_by_slug(*, slug: str) -> PublishedCase:
    """The case with this public id, published or not (the caller answers 410 for an unpublished one)."""
    return _annotated(PublishedCase.objects.filter(slug=slug)).get()


def public_evidence(case: PublishedCase) -> list[Evidence]:
    """The stripped copies chosen for the case, numbered from 1 in upload order; a copy no longer ready drops out."""
    return list(case.evidence.filter(public_state=COPY_READY).exclude(public_file="").order_by("uploaded_at", "id"))


@dataclass(frozen=True)
class PublicStep:
    """One submission of the case as the public sees it: the body, the day, what it did. No numbers, no text."""

    authority: str
    level: str
    is_appeal: bool
    submitted_on: date
    state: str
    state_label: str
    result: str
    result_label: str
    decided_on: date | None


def public_steps(case: PublishedCase) -> list[PublicStep]:
    steps = []
    levels = {lv.value: str(lv.label) for lv in AuthorityLevel}
    for s in submissions_for(complaint=case.complaint):
        decision = getattr(s, "decision", None)  # None when the body has not decided
        steps.append(
            PublicStep(
                authority=s.authority_label,
                level=levels.get(s.authority.level, "") if s.authority else "",
                is_appeal=s.appeal_of_id is not None,
                submitted_on=timezone.localtime(s.submitted_at).date(),
                state=s.state,
                state_label=str(s.get_state_display()),
                result=decision.result if decision else "",
                result_label=str(decision.get_result_display()) if decision else "",
                decided_on=decision.decided_on if decision else None,
            )
        )
    return steps


def outcome_label(key: str) -> str:
    return str(dict(CASE_OUTCOMES).get(key, key))


def station_of(case: PublishedCase) -> Any:
    """The polling station, only when the coordinator chose to publish it."""
    return case.complaint.polling_station if case.show_station else None


def case_record(case: PublishedCase, *, url: str, evidence_urls: list[tuple[str, Evidence]]) -> dict[str, Any]:
    """One row of the datasets: what the public page shows, flat. Never identity, never the receipt code."""
    station = station_of(case)
    return {
        "id": case.slug,
        "url": url,
        "title": case.title,
        "summary": case.summary,
        "language": case.language,
        "election": case.election.slug,
        "election_name": case.election.name,
        "region": case.region.code if case.region else "",
        "region_name": case.region.name if case.region else "",
        "category": case.category.code,
        "category_name": case.category.name,
        "occurred_on": case.occurred_on.isoformat(),
        "published_on": timezone.localtime(case.first_published_at).date().isoformat(),
        "updated_on": timezone.localtime(case.changed_at).date().isoformat(),
        "outcome": case.outcome,
        "outcome_label": outcome_label(case.outcome),
        "polling_station": station.number if station else "",
        "polling_station_address": station.address if station else "",
        "latitude": float(station.latitude) if station and station.latitude is not None else None,
        "longitude": float(station.longitude) if station and station.longitude is not None else None,
        "evidence": [
            {"url": u, "sha256": e.public_sha256, "original_sha256": e.sha256, "content_type": e.public_content_type}
            for u, e in evidence_urls
        ],
    }


def published_evidence_map(cases: list[PublishedCase]) -> dict[int, list[Evidence]]:
    """The public evidence of many cases in one query (for the datasets)."""
    through = PublishedCase.evidence.through
    rows = (
        through.objects.filter(publishedcase_id__in=[c.pk for c in cases], evidence__public_state=COPY_READY)
        .exclude(evidence__public_file="")
        .select_related("evidence")
        .order_by("evidence__uploaded_at", "evidence_id")
    )
    found: dict[int, list[Evidence]] = {c.pk: [] for c in cases}
    for row in rows:
        found[row.publishedcase_id].append(row.evidence)
    return found


def iter_published(filters: CaseFilters, batch: int = 500) -> Iterator[list[PublishedCase]]:
    """The filtered cases in batches, for the streamed datasets."""
    qs = published_cases(filters)
    offset = 0
    while True:
        chunk = list(qs[offset : offset + batch])
        if not chunk:
            return
        yield chunk
        offset += batch


@dataclass(frozen=True)
class FilterChoices:
    elections: list[Election]
    regions: list[TerritorialUnit]
    categories: list[Category]
    outcomes: tuple[tuple[str, Any], ...]


def case_filter_choices() -> FilterChoices:
    """What the public filters offer: elections, regions and top-level categories."""
    return FilterChoices(
        list(Election.objects.order_by("-voting_day")),
        list(TerritorialUnit.objects.filter(level=UnitLevel.REGION).order_by("name_ru")),
        list(Category.objects.filter(parent__isnull=True).order_by("code")),
        CASE_OUTCOMES,
    )


def published_case_for_staff(*, complaint: Complaint) -> PublishedCase | None:
    """The complaint's publication record (published or unpublished), for its staff page."""
    return PublishedCase.objects.filter(complaint=complaint).first()


def publishable_evidence(*, complaint: Complaint) -> list[Evidence]:
    """Evidence a coordinator may choose: those whose stripped copy is ready."""
    return list(Evidence.objects.filter(complaint=complaint, public_state=COPY_READY).order_by("uploaded_at", "id"))
