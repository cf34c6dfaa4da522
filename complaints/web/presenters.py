"""Turning domain records into what a page shows: labels, timeline lines, chart bars."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints import workflow
from complaints.models import AuditEvent, DecisionResult, NoteVisibility, Status, SubmissionState
from complaints.selectors import CountRow

EVENT_LABELS: dict[str, str | Promise] = {
    "file": _("Complaint filed"),
    "evidence": _("Evidence added"),
    "evidence_copy": _("Copy of evidence without metadata made"),
    "note": _("Note added"),
    "assign": _("Assignment changed"),
    "identity_viewed": _("Reporter's identity viewed"),
    "identity_purged": _("Reporter's identity erased (retention)"),
    "document": _("Complaint document generated"),
    "sla_breached": _("Deadline missed"),
    "duplicate_linked": _("A duplicate was linked to this complaint"),
    "duplicate_unlinked": _("A duplicate was unlinked from this complaint"),
    "case_submitted": _("Filed with an authority"),
    "case_appealed": _("Appeal filed"),
    "case_outcome": _("The authority's answer recorded"),
    "case_deadline_warning": _("Statutory deadline approaching"),
    "case_deadline_missed": _("Statutory deadline missed"),
    "respondent_added": _("Respondent recorded"),
    "respondent_reply": _("Respondent's reply recorded"),
    "imported": _("Imported from a case file"),
    "case_published": _("Case published"),
    "case_unpublished": _("Case unpublished"),
    "contact_added": _("The complainant follows updates on a contact channel"),
    "contact_removed": _("The complainant stopped updates on a contact channel"),
}
ACTOR_LABELS: dict[str, str | Promise] = {
    "anonymous": _("anonymous complainant"),
    "complainant": _("the complainant"),
    "system": _("the system"),
}

# Badge colour group per status (see .badge--* in app.css).
STATUS_TONE: dict[str, str] = {
    Status.SUBMITTED: "new",
    Status.TRIAGED: "new",
    Status.UNDER_REVIEW: "work",
    Status.NEEDS_INFO: "wait",
    Status.SUBSTANTIATED: "good",
    Status.ESCALATED: "good",
    Status.RESOLVED: "good",
    Status.UNSUBSTANTIATED: "done",
    Status.DUPLICATE: "done",
    Status.REJECTED: "done",
    Status.CLOSED: "done",
    Status.WITHDRAWN: "done",
}


def event_label(action: str) -> str:
    if action in workflow.BY_ACTION:
        return str(workflow.BY_ACTION[action].label)
    return str(EVENT_LABELS.get(action, action))


def actor_label(event: AuditEvent, reporter_user_id: int | None = None) -> str:
    # The filer's own account is never named on a timeline: identity is shown only through
    # the audited "show identity" action.
    if event.actor_id is not None and event.actor_id == reporter_user_id:
        return str(ACTOR_LABELS["complainant"])
    if event.actor is not None:
        return event.actor.get_full_name() or event.actor.get_username()
    return str(ACTOR_LABELS.get(event.actor_label, event.actor_label or _("the system")))


@dataclass
class TimelineEntry:
    at: datetime
    label: str
    actor: str
    from_status: str
    to_status: str
    details: list[tuple[str, str]] = field(default_factory=list)
    seq: int = 0


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def _outcome_label(value: str | None) -> str | Promise | None:
    """A submission outcome (a decision result or a state) as the case forms name it."""
    if not value:
        return None
    for choices in (DecisionResult, SubmissionState):
        if value in choices.values:
            return choices(value).label
    return value


def _details(event: AuditEvent) -> list[tuple[str, str]]:
    p: dict[str, Any] = event.payload or {}
    pairs: list[tuple[str | Promise, Any]] = [
        (_("Comment"), p.get("comment")),
        (_("Original complaint"), p.get("duplicate_of")),
        (_("Duplicate"), p.get("duplicate")),
        (_("Authority"), p.get("authority")),
        (_("Authority's reference number"), p.get("authority_reference")),
        (_("Registration number"), p.get("registration_number")),
        (_("What the authority did"), _outcome_label(p.get("outcome"))),
        (_("Decision date"), p.get("decided_on")),
        (_("Respondent"), p.get("name") if event.action == "respondent_added" else None),
        (_("File"), p.get("name") if event.action != "respondent_added" else None),
        (_("Document version"), p.get("document_version")),
        (_("SHA-256"), p.get("sha256")),
        (_("Purpose"), p.get("purpose")),
    ]
    if event.action == "assign":
        pairs += [(_("From"), p.get("from") or _("nobody")), (_("To"), p.get("to") or _("nobody"))]
    if event.action == "note" and p.get("visibility"):
        vis = p["visibility"]
        pairs.append((_("Visible to"), NoteVisibility(vis).label if vis in NoteVisibility.values else vis))
    return [(str(k), str(v)) for k, v in pairs if v]


def timeline_entries(events: Iterable[AuditEvent], reporter_user_id: int | None = None) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=e.created_at,
            label=event_label(e.action),
            actor=actor_label(e, reporter_user_id),
            from_status=_status_label(e.from_status) if e.from_status else "",
            to_status=_status_label(e.to_status) if e.to_status else "",
            details=_details(e),
            seq=e.seq,
        )
        for e in events
    ]


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: int
    width: float
    text_y: int
    count_x: float
    href: str = ""  # the dashboard's bars open the queue filtered to the bar


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    width: int
    title: str


def bar_chart(
    rows: list[CountRow],
    title: str,
    *,
    width: int = 320,
    limit: int = 12,
    href: Callable[[CountRow], str] | None = None,
) -> BarChart:
    """Horizontal bars laid out in SVG user units: a label line above each bar; ``href(row)``: its link."""
    rows = rows[:limit]
    top = max((r.count for r in rows), default=0) or 1
    usable = width - 48  # room for the count after the bar
    bars, y = [], 0
    for row in rows:
        bar_w = round(max(usable * row.count / top, 2), 1)
        bars.append(
            Bar(
                label=row.label or str(_("not specified")),
                count=row.count,
                y=y + 20,
                width=bar_w,
                text_y=y + 14,
                count_x=bar_w + 6,
                href=href(row) if href else "",
            )
        )
        y += 46
    return BarChart(bars=bars, height=max(y, 20), width=width, title=title)
