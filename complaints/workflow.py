"""The review workflow: states, transitions and who may fire each. Pure: no I/O.

One table, ``TRANSITIONS``, is the whole state machine. Services fire transitions only
through it, tests are generated from it, and the UI and API show only the actions it
allows. A plain table rather than django-fsm(-2): we need the table itself as data
(roles, requirements, notifications per transition) for generated tests, the API schema
and the UI; an FSM library spreads that over decorated model methods and writes the
status field from the model, which our services (row lock + version check + audit +
outbox in one transaction) do themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.errors import (  # re-exported: callers catch workflow.NotAllowed etc.
    InvalidTransition,
    MissingRequirement,
    NotAllowed,
    UnknownAction,
)
from complaints.errors import (
    WorkflowError as WorkflowError,
)
from complaints.events import EventType
from complaints.models.complaint import Status


class Role(StrEnum):
    COMPLAINANT = "complainant"  # the reporter of this complaint (signed in, or via code + secret)
    REVIEWER = "reviewer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class Requirement(StrEnum):
    COMMENT = "comment"
    ORIGINAL = "duplicate_of"
    AUTHORITY = "authority"
    AUTHORITY_REFERENCE = "authority_reference"


STAFF = frozenset({Role.REVIEWER, Role.COORDINATOR, Role.ADMIN})
SENIOR = frozenset({Role.COORDINATOR, Role.ADMIN})
COMPLAINANT = frozenset({Role.COMPLAINANT})

OPEN_STATES = frozenset({Status.SUBMITTED, Status.TRIAGED, Status.UNDER_REVIEW, Status.NEEDS_INFO})
DECIDED_STATES = frozenset({Status.SUBSTANTIATED, Status.UNSUBSTANTIATED, Status.DUPLICATE, Status.REJECTED})
TERMINAL_STATES = frozenset({Status.CLOSED, Status.WITHDRAWN})
# States in which the SLA clock runs (needs_info pauses it, decisions stop it).
SLA_STATES = frozenset({Status.SUBMITTED, Status.TRIAGED, Status.UNDER_REVIEW})


class Effect(StrEnum):
    """What a transition does besides moving the status; ``complaint_transition`` applies each."""

    ASSIGN_ACTOR = "assign_actor"  # an unassigned complaint becomes the acting reviewer's
    LINK_ORIGINAL = "link_original"  # the duplicate points at its original; both timelines say so
    UNLINK_ORIGINAL = "unlink_original"  # the link is removed; both timelines say so
    NOTE_TO_COMPLAINANT = "note_to_complainant"  # the comment is a message to the complainant
    NOTE_FROM_COMPLAINANT = "note_from_complainant"  # the comment is the complainant's answer
    FILE_SUBMISSION = "file_submission"  # the authority and its number become a Submission (the legal case)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[Status]
    target: Status
    roles: frozenset[Role]
    label: str | Promise
    requires: frozenset[Requirement] = field(default_factory=frozenset)
    # Outbox event types this transition records (delivered by notifications/).
    events: tuple[EventType, ...] = (EventType.STATUS_CHANGED,)
    effects: frozenset[Effect] = field(default_factory=frozenset)
    # What happened, said after it is done ("Complaint triaged."), not the button's verb.
    done: str | Promise = ""

    @property
    def echoes_comment(self) -> bool:
        """Whether the comment travels in the notification (not the complainant's own answer)."""
        return Effect.NOTE_FROM_COMPLAINANT not in self.effects


def _t(
    action: str,
    sources: set[Status],
    target: Status,
    roles: frozenset[Role],
    label: str | Promise,
    requires: set[Requirement] | None = None,
    events: tuple[EventType, ...] = (),
    effects: set[Effect] | None = None,
    *,
    done: str | Promise,
) -> Transition:
    return Transition(
        action,
        frozenset(sources),
        target,
        roles,
        label,
        frozenset(requires or ()),
        (EventType.STATUS_CHANGED, *events),
        frozenset(effects or ()),
        done,
    )


S = Status
R = Requirement
TRANSITIONS: tuple[Transition, ...] = (
    _t("triage", {S.SUBMITTED}, S.TRIAGED, STAFF, _("Triage"), done=_("Complaint triaged.")),
    _t(
        "start_review",
        {S.TRIAGED},
        S.UNDER_REVIEW,
        STAFF,
        _("Start review"),
        effects={Effect.ASSIGN_ACTOR},
        done=_("Review started: the complaint is now assigned to you."),
    ),
    _t(
        "request_info",
        {S.UNDER_REVIEW},
        S.NEEDS_INFO,
        STAFF,
        _("Request information"),
        {R.COMMENT},
        (EventType.NEEDS_INFO,),
        {Effect.NOTE_TO_COMPLAINANT},
        done=_("Information requested: the complainant has been asked."),
    ),
    _t(
        "provide_info",
        {S.NEEDS_INFO},
        S.UNDER_REVIEW,
        COMPLAINANT,
        _("Send the information"),
        {R.COMMENT},
        (EventType.INFO_PROVIDED,),
        {Effect.NOTE_FROM_COMPLAINANT},
        done=_("Your information was sent to the reviewers."),
    ),
    _t(
        "substantiate",
        {S.UNDER_REVIEW},
        S.SUBSTANTIATED,
        STAFF,
        _("Substantiated"),
        events=(EventType.DECIDED,),
        done=_("Complaint marked substantiated."),
    ),
    _t(
        "unsubstantiate",
        {S.UNDER_REVIEW},
        S.UNSUBSTANTIATED,
        STAFF,
        _("Unsubstantiated"),
        {R.COMMENT},
        (EventType.DECIDED,),
        done=_("Complaint marked unsubstantiated."),
    ),
    _t(
        "reject",
        {S.SUBMITTED, S.TRIAGED},
        S.REJECTED,
        STAFF,
        _("Reject (spam or out of scope)"),
        {R.COMMENT},
        (EventType.DECIDED,),
        done=_("Complaint rejected."),
    ),
    _t(
        "mark_duplicate",
        {S.SUBMITTED, S.TRIAGED, S.UNDER_REVIEW, S.NEEDS_INFO},
        S.DUPLICATE,
        STAFF,
        _("Mark as duplicate"),
        {R.ORIGINAL},
        (EventType.DECIDED,),
        {Effect.LINK_ORIGINAL},
        done=_("Complaint marked as a duplicate."),
    ),
    _t(
        "undo_duplicate",
        {S.DUPLICATE},
        S.TRIAGED,
        STAFF,
        _("Not a duplicate"),
        effects={Effect.UNLINK_ORIGINAL},
        done=_("No longer a duplicate: the complaint is back in triage."),
    ),
    _t(
        "escalate",
        {S.SUBSTANTIATED},
        S.ESCALATED,
        SENIOR,
        _("Escalate to the authority"),
        {R.AUTHORITY, R.AUTHORITY_REFERENCE},
        (EventType.ESCALATED,),
        {Effect.FILE_SUBMISSION},
        done=_("Complaint escalated: the submission to the authority is recorded."),
    ),
    _t(
        "resolve",
        {S.ESCALATED},
        S.RESOLVED,
        SENIOR,
        _("Resolved by the authority"),
        {R.COMMENT},
        (EventType.DECIDED,),
        done=_("Complaint marked resolved by the authority."),
    ),
    _t(
        "close",
        {S.SUBSTANTIATED, S.UNSUBSTANTIATED, S.DUPLICATE, S.REJECTED, S.RESOLVED},
        S.CLOSED,
        SENIOR,
        _("Close"),
        done=_("Complaint closed."),
    ),
    _t(
        "reopen", {S.CLOSED}, S.UNDER_REVIEW, SENIOR, _("Reopen"), {R.COMMENT}, done=_("Complaint reopened for review.")
    ),
    _t(
        "withdraw",
        {S.SUBMITTED, S.TRIAGED, S.UNDER_REVIEW, S.NEEDS_INFO},
        S.WITHDRAWN,
        COMPLAINANT,
        _("Withdraw my complaint"),
        done=_("Your complaint was withdrawn."),
    ),
)
BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
ACTIONS: tuple[str, ...] = tuple(BY_ACTION)


def get_transition(action: str) -> Transition:
    try:
        return BY_ACTION[action]
    except KeyError:
        raise UnknownAction(
            _("Unknown action “%(action)s”. Valid actions: %(valid)s.")
            % {"action": action, "valid": ", ".join(ACTIONS)}
        ) from None


def check(transition: Transition, *, status: str, roles: set[Role], provided: set[Requirement]) -> None:
    """Raise if ``transition`` may not fire from ``status`` by someone holding ``roles``."""
    if status not in transition.sources:
        raise InvalidTransition(
            _("Cannot “%(action)s” a complaint that is %(status)s; it is allowed only from: %(from)s.")
            % {
                "action": transition.action,
                "status": Status(status).label,
                "from": ", ".join(str(Status(s).label) for s in sorted(transition.sources)),
            }
        )
    if not roles & transition.roles:
        raise NotAllowed(_("Your role may not “%(action)s” this complaint.") % {"action": transition.action})
    missing = sorted(transition.requires - provided)
    if missing:
        raise MissingRequirement(
            _("“%(action)s” needs: %(missing)s.") % {"action": transition.action, "missing": ", ".join(missing)},
            [str(m) for m in missing],
        )


def available_actions(*, status: str, roles: set[Role]) -> list[Transition]:
    return [t for t in TRANSITIONS if status in t.sources and roles & t.roles]
