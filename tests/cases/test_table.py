"""The submission's life as a table: every (state, action, role) is checked against ``CASE_TRANSITIONS``."""

from __future__ import annotations

import itertools

import pytest

from complaints import legal_workflow
from complaints.errors import InvalidTransition, MissingRequirement, NotAllowed
from complaints.events import EVENTS, EventType
from complaints.legal_workflow import CASE_TRANSITIONS, NEW, CaseRequirement, check_case
from complaints.models import DecisionResult, SubmissionState
from complaints.workflow import Role

STATES = [NEW, *SubmissionState.values]
CASES = list(itertools.product(STATES, CASE_TRANSITIONS, list(Role)))


@pytest.mark.parametrize(("state", "transition", "role"), CASES, ids=lambda x: getattr(x, "action", str(x)))
def test_every_state_action_role(state, transition, role):
    provided = set(CaseRequirement)
    allowed = state in transition.sources and role in transition.roles
    if allowed:
        check_case(transition, state=state, roles={role}, provided=provided)
        return
    error = NotAllowed if role not in transition.roles else InvalidTransition
    with pytest.raises(error):
        check_case(transition, state=state, roles={role}, provided=provided)


@pytest.mark.parametrize("transition", [t for t in CASE_TRANSITIONS if t.requires], ids=lambda t: t.action)
def test_requirements_are_named(transition):
    state = next(iter(transition.sources))
    with pytest.raises(MissingRequirement) as info:
        check_case(transition, state=state, roles={Role.COORDINATOR}, provided=set())
    assert sorted(info.value.missing) == sorted(str(r) for r in transition.requires)


def test_only_coordinators_and_admins_act():
    assert all(t.roles == {Role.COORDINATOR, Role.ADMIN} for t in CASE_TRANSITIONS)


def test_every_outcome_maps_to_a_row_and_every_decision_result_is_offered():
    assert set(legal_workflow.OUTCOME_ACTIONS.values()) <= set(legal_workflow.CASE_BY_ACTION)
    assert set(DecisionResult.values) <= set(legal_workflow.OUTCOME_ACTIONS)


def test_events_are_registered_and_the_creating_rows_notify():
    for t in CASE_TRANSITIONS:
        assert all(isinstance(e, EventType) and e in EVENTS for e in t.events), t.action
    assert EventType.CASE_SUBMITTED in legal_workflow.CASE_BY_ACTION["file"].events
    assert EventType.CASE_DECIDED in legal_workflow.CASE_BY_ACTION["decide"].events
    assert EventType.CASE_APPEALED in legal_workflow.CASE_BY_ACTION["appeal"].events


def test_a_decided_or_unanswered_submission_is_final_but_appealable():
    decided = legal_workflow.available_case_actions(state=SubmissionState.DECIDED, roles={Role.COORDINATOR})
    assert [t.action for t in decided] == ["appeal"]
    unanswered = legal_workflow.available_case_actions(state=SubmissionState.NO_ANSWER, roles={Role.COORDINATOR})
    assert sorted(t.action for t in unanswered) == ["appeal", "decide"]  # a late answer is still recorded
    assert legal_workflow.available_case_actions(state=SubmissionState.FILED, roles={Role.REVIEWER}) == []
