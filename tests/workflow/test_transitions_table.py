"""Generated from the transitions table: every (state, action, role) is tried.

Allowed combinations succeed and land in the declared target; the rest raise the
documented error. A new transition is covered without writing a new test.
"""

from __future__ import annotations

import itertools

import pytest

from complaints import services, workflow
from complaints.models import AuditEvent, Complaint, OutboxMessage, Status
from complaints.services import ComplainantActor
from complaints.workflow import TRANSITIONS, Role
from tests.workflow.helpers import force_state

pytestmark = pytest.mark.django_db

ROLES = [Role.COMPLAINANT, Role.REVIEWER, Role.COORDINATOR, Role.ADMIN]
CASES = list(itertools.product(list(Status), [t.action for t in TRANSITIONS], ROLES))


@pytest.fixture
def actors(make_user, territory):
    observer = make_user("observer")
    return {
        Role.COMPLAINANT: observer,
        Role.REVIEWER: make_user("reviewer", units=[territory["pav"]]),
        Role.COORDINATOR: make_user("coordinator", units=[territory["kz"]]),
        Role.ADMIN: make_user("admin"),
    }


def _full_kwargs(transition: workflow.Transition, original: Complaint) -> dict:
    return {
        "comment": "Основание: показания двух наблюдателей.",
        "duplicate_of": original,
        "authority": "ЦИК РК",
        "authority_reference": "вх. № 15-04/2011",
    }


@pytest.mark.parametrize(("state", "action", "role"), CASES, ids=lambda v: str(v))
def test_every_state_action_role(state, action, role, actors, file_complaint):
    transition = workflow.BY_ACTION[action]
    original = file_complaint()
    complaint = file_complaint(reporter_user=actors[Role.COMPLAINANT], full_name="Айгуль")
    complaint = force_state(complaint, state, original=original)
    events_before = AuditEvent.objects.filter(complaint=complaint).count()
    allowed = state in transition.sources and role in transition.roles
    kwargs = _full_kwargs(transition, original)
    if allowed:
        result = services.complaint_transition(complaint=complaint, action=action, actor=actors[role], **kwargs)
        assert result.status == transition.target
        assert result.version == complaint.version + 1
        # escalate also records the submission it creates (Effect.FILE_SUBMISSION: the legal case)
        extra = 1 if workflow.Effect.FILE_SUBMISSION in transition.effects else 0
        assert AuditEvent.objects.filter(complaint=complaint).count() == events_before + 1 + extra
        event = AuditEvent.objects.filter(complaint=complaint, action=action).latest("seq")
        assert (event.action, event.from_status, event.to_status) == (action, state, transition.target)
    else:
        expected = workflow.InvalidTransition if state not in transition.sources else workflow.NotAllowed
        with pytest.raises(expected):
            services.complaint_transition(complaint=complaint, action=action, actor=actors[role], **kwargs)
        assert Complaint.objects.get(pk=complaint.pk).status == state
        assert AuditEvent.objects.filter(complaint=complaint).count() == events_before


@pytest.mark.parametrize(
    ("action", "requirement"),
    [(t.action, r) for t in TRANSITIONS for r in sorted(t.requires)],
)
def test_each_requirement_is_enforced(action, requirement, actors, file_complaint):
    transition = workflow.BY_ACTION[action]
    original = file_complaint()
    complaint = file_complaint(reporter_user=actors[Role.COMPLAINANT], full_name="Айгуль")
    complaint = force_state(complaint, sorted(transition.sources)[0], original=original)
    role = sorted(transition.roles)[0]
    kwargs = _full_kwargs(transition, original)
    blank = {"comment": "", "duplicate_of": None, "authority": "", "authority_reference": ""}
    kwargs[requirement.value] = blank[requirement.value]
    with pytest.raises(workflow.MissingRequirement) as excinfo:
        services.complaint_transition(complaint=complaint, action=action, actor=actors[role], **kwargs)
    assert requirement.value in excinfo.value.missing


def test_anonymous_complainant_acts_with_proven_secret(file_complaint, actors):
    filing = services.complaint_file(
        election=file_complaint().election,
        category=file_complaint().category,
        place_text="Павлодар, школа №7",
        occurred_at=file_complaint().occurred_at,
        description="Бюллетени выдавали без паспорта.",
    )
    complaint = force_state(filing.complaint, Status.NEEDS_INFO)
    actor = ComplainantActor(complaint_id=complaint.pk)
    result = services.complaint_transition(complaint=complaint, action="provide_info", actor=actor, comment="Фото есть")
    assert result.status == Status.UNDER_REVIEW
    other = file_complaint()
    with pytest.raises(Complaint.DoesNotExist):
        services.complaint_transition(complaint=other, action="withdraw", actor=actor)


def test_unknown_action_lists_valid_ones(file_complaint, actors):
    with pytest.raises(workflow.UnknownAction, match="triage"):
        services.complaint_transition(complaint=file_complaint(), action="approve", actor=actors[Role.ADMIN])


def test_transitions_record_declared_outbox_events(file_complaint, actors, settings):
    complaint = force_state(file_complaint(email="a@example.org", full_name="A"), Status.UNDER_REVIEW)
    services.complaint_transition(
        complaint=complaint, action="request_info", actor=actors[Role.REVIEWER], comment="Пришлите фото"
    )
    events = set(OutboxMessage.objects.filter(complaint=complaint).values_list("event_type", flat=True))
    assert "complaint.needs_info" in events


def test_every_state_is_reachable_and_table_is_consistent():
    targets = {t.target for t in TRANSITIONS} | {Status.SUBMITTED}
    assert targets == set(Status)
    assert len(workflow.BY_ACTION) == len(TRANSITIONS)
    for t in TRANSITIONS:
        assert t.target not in t.sources or t.action == "reopen"


def test_workflow_doc_matches_the_table():
    from pathlib import Path

    from complaints.management.commands.workflow_doc import render_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"
    assert doc.read_text() == render_markdown(), "run: python manage.py workflow_doc > docs/workflow.md"
