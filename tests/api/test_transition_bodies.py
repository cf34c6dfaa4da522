"""The hand-written request bodies of workflow actions agree with the transitions table."""

from __future__ import annotations

import pytest

from complaints import workflow
from complaints.api import serializers as s


def required_fields(serializer_class: type) -> set[str]:
    return {name for name, field in serializer_class().fields.items() if field.required}


def all_fields(serializer_class: type) -> set[str]:
    return set(serializer_class().fields)


@pytest.mark.parametrize("transition", workflow.TRANSITIONS, ids=lambda t: t.action)
def test_body_requires_exactly_what_the_table_requires(transition: workflow.Transition) -> None:
    body = s.transition_body(transition.action)
    assert required_fields(body) == {str(r) for r in transition.requires}
    assert all_fields(body) == {str(r) for r in transition.requires} | {"comment", "version"}


@pytest.mark.parametrize("transition", workflow.TRANSITIONS, ids=lambda t: t.action)
def test_the_transitions_endpoint_body_adds_only_the_action(transition: workflow.Transition) -> None:
    with_action = s.TRANSITION_WITH_ACTION[s.transition_body(transition.action)]
    assert issubclass(with_action, s.transition_body(transition.action))
    assert all_fields(with_action) == all_fields(s.transition_body(transition.action)) | {"action"}
    assert transition.action in with_action().fields["action"].choices


def test_each_body_with_action_lists_exactly_its_actions() -> None:
    for body, with_action in s.TRANSITION_WITH_ACTION.items():
        expected = [t.action for t in workflow.TRANSITIONS if s.transition_body(t.action) is body]
        assert list(with_action().fields["action"].choices) == expected


def test_complainant_bodies_cover_the_complainant_actions_of_the_table() -> None:
    table = [t.action for t in workflow.TRANSITIONS if workflow.Role.COMPLAINANT in t.roles]
    assert sorted(s.COMPLAINANT_ACTION_BODIES) == sorted(table) == sorted(s.COMPLAINANT_ACTIONS)
    for action, body in s.COMPLAINANT_ACTION_BODIES.items():
        staff_body = s.transition_body(action)
        assert all_fields(body) == all_fields(staff_body) | {"code", "secret", "action"}
        assert required_fields(body) == required_fields(staff_body) | {"code", "secret", "action"}
        assert list(body().fields["action"].choices) == [action]
