"""The life of a submission at the authority, as data: states, transitions, roles, requirements, events. Pure.

Like ``workflow.TRANSITIONS`` for the complaint, ``CASE_TRANSITIONS`` is the whole state
machine of a ``Submission``; ``services.cases`` fires transitions only through it. Two
rows create rather than move: ``file`` (a new submission, from nothing) and ``appeal``
(a new submission to the next body; the challenged one keeps its state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.errors import InvalidTransition, MissingRequirement, NotAllowed, UnknownAction
from complaints.events import EventType
from complaints.models.complaint import Status
from complaints.models.legal import DecisionResult, SubmissionState
from complaints.workflow import SENIOR, Role

NEW = ""  # the pseudo-state before a submission exists


class CaseRequirement(StrEnum):
    AUTHORITY = "authority"
    REGISTRATION_NUMBER = "registration_number"
    RESULT = "result"
    DECIDED_ON = "decided_on"


@dataclass(frozen=True)
class CaseTransition:
    action: str
    sources: frozenset[str]
    target: SubmissionState | None  # None: the submission keeps its state (an appeal creates a new one)
    roles: frozenset[Role]
    label: str | Promise
    requires: frozenset[CaseRequirement] = field(default_factory=frozenset)
    events: tuple[EventType, ...] = ()


SS = SubmissionState
CR = CaseRequirement
CASE_TRANSITIONS: tuple[CaseTransition, ...] = (
    CaseTransition(
        "file",
        frozenset({NEW}),
        SS.FILED,
        SENIOR,
        _("Record a submission"),
        frozenset({CR.AUTHORITY}),
        (EventType.CASE_SUBMITTED,),
    ),
    CaseTransition(
        "register", frozenset({SS.FILED}), SS.REGISTERED, SENIOR, _("Registered"), frozenset({CR.REGISTRATION_NUMBER})
    ),
    CaseTransition(
        "start_consideration",
        frozenset({SS.FILED, SS.REGISTERED}),
        SS.UNDER_CONSIDERATION,
        SENIOR,
        _("Under consideration"),
    ),
    CaseTransition(
        "decide",
        frozenset({SS.FILED, SS.REGISTERED, SS.UNDER_CONSIDERATION, SS.NO_ANSWER}),
        SS.DECIDED,
        SENIOR,
        _("Decided"),
        frozenset({CR.RESULT, CR.DECIDED_ON}),
        (EventType.CASE_DECIDED,),
    ),
    CaseTransition(
        "mark_no_answer",
        frozenset({SS.FILED, SS.REGISTERED, SS.UNDER_CONSIDERATION}),
        SS.NO_ANSWER,
        SENIOR,
        _("No answer by the deadline"),
    ),
    CaseTransition(
        "appeal",
        frozenset({SS.DECIDED, SS.NO_ANSWER}),
        None,
        SENIOR,
        _("Appeal to the next body"),
        frozenset({CR.AUTHORITY}),
        (EventType.CASE_APPEALED,),
    ),
)
CASE_BY_ACTION: dict[str, CaseTransition] = {t.action: t for t in CASE_TRANSITIONS}

# What the outcome form offers, and which transition each choice fires.
OUTCOME_ACTIONS: dict[str, str] = {
    SS.REGISTERED.value: "register",
    SS.UNDER_CONSIDERATION.value: "start_consideration",
    **{result.value: "decide" for result in DecisionResult},
    SS.NO_ANSWER.value: "mark_no_answer",
}
# A decision that went (partly) against the complainant opens the appeal window.
APPEALABLE_RESULTS = frozenset({DecisionResult.PARTLY_UPHELD, DecisionResult.REJECTED, DecisionResult.RETURNED})
# Complaint statuses in which a case may be opened at an authority.
CASE_COMPLAINT_STATES = frozenset(
    {Status.UNDER_REVIEW, Status.SUBSTANTIATED, Status.ESCALATED, Status.RESOLVED, Status.CLOSED}
)
# Complaint statuses in which the filing window still matters (not yet filed, not dropped).
FILING_PENDING_STATES = frozenset(
    {Status.SUBMITTED, Status.TRIAGED, Status.UNDER_REVIEW, Status.NEEDS_INFO, Status.SUBSTANTIATED}
)
OPEN_SUBMISSION_STATES = frozenset({SS.FILED, SS.REGISTERED, SS.UNDER_CONSIDERATION})


def get_case_transition(action: str) -> CaseTransition:
    try:
        return CASE_BY_ACTION[action]
    except KeyError:
        raise UnknownAction(
            _("Unknown action “%(action)s”. Valid actions: %(valid)s.")
            % {"action": action, "valid": ", ".join(CASE_BY_ACTION)}
        ) from None


def check_case(transition: CaseTransition, *, state: str, roles: set[Role], provided: set[CaseRequirement]) -> None:
    """Raise if ``transition`` may not fire from ``state`` by someone holding ``roles``."""
    if not roles & transition.roles:
        raise NotAllowed(_("Only coordinators may record the case at the authority."))
    if state not in transition.sources:
        allowed = ", ".join(str(SubmissionState(s).label) for s in sorted(transition.sources) if s)
        current = SubmissionState(state).label if state else _("not filed yet")
        raise InvalidTransition(
            _("Cannot “%(action)s” a submission that is %(state)s; it is allowed only from: %(from)s.")
            % {"action": transition.action, "state": current, "from": allowed}
        )
    missing = sorted(transition.requires - provided)
    if missing:
        raise MissingRequirement(
            _("“%(action)s” needs: %(missing)s.") % {"action": transition.action, "missing": ", ".join(missing)},
            [str(m) for m in missing],
        )


def available_case_actions(*, state: str, roles: set[Role]) -> list[CaseTransition]:
    return [t for t in CASE_TRANSITIONS if state in t.sources and roles & t.roles]
