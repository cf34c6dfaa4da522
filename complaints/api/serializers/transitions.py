"""The request bodies of workflow actions, written out by hand (tests/api/test_transition_bodies.py checks them)."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

from complaints import workflow
from complaints.api.serializers.common import (
    NOT_BLANK,
    RECEIPT_CODE_VALIDATOR,
    USERNAME_PATTERN,
    MultiLineField,
    OneLineField,
    StrictJSONMixin,
)


def version_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The version you saw; 409 if the complaint changed since. (Or send If-Match.)",
    )


def optional_comment_field() -> serializers.CharField:
    return MultiLineField(required=False, allow_blank=True, max_length=10000, default="")


def required_text_field(max_length: int, help_text: str, *, one_line: bool = False) -> serializers.CharField:
    field = OneLineField if one_line else MultiLineField
    return field(max_length=max_length, validators=[NOT_BLANK], help_text=help_text)


class TransitionBodySerializer(StrictJSONMixin, serializers.Serializer[Any]):
    """An action that needs nothing but may carry a comment."""

    comment = optional_comment_field()
    version = version_field()


class CommentedTransitionSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    """An action that needs a comment (a reason, a question, an answer)."""

    comment = required_text_field(10000, "Required: the reason, question or answer.")
    version = version_field()


class DuplicateTransitionSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    duplicate_of = serializers.CharField(
        max_length=14, validators=[RECEIPT_CODE_VALIDATOR], help_text="The original complaint's receipt code."
    )
    comment = optional_comment_field()
    version = version_field()


class EscalationSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    authority = required_text_field(
        300, "The authority it is sent to, e.g. the territorial election commission.", one_line=True
    )
    authority_reference = required_text_field(
        300, "The authority's reference (incoming number) for the case.", one_line=True
    )
    comment = optional_comment_field()
    version = version_field()


BODY_FOR_REQUIREMENTS: dict[frozenset[workflow.Requirement], type[serializers.Serializer[Any]]] = {
    frozenset(): TransitionBodySerializer,
    frozenset({workflow.Requirement.COMMENT}): CommentedTransitionSerializer,
    frozenset({workflow.Requirement.ORIGINAL}): DuplicateTransitionSerializer,
    frozenset({workflow.Requirement.AUTHORITY, workflow.Requirement.AUTHORITY_REFERENCE}): EscalationSerializer,
}


def transition_body(action: str) -> type[serializers.Serializer[Any]]:
    """The request body an action takes: exactly the fields the workflow table requires of it."""
    return BODY_FOR_REQUIREMENTS[workflow.BY_ACTION[action].requires]


def actions_taking(body: type[serializers.Serializer[Any]]) -> list[str]:
    """The actions whose request body is ``body``, in table order."""
    return [t.action for t in workflow.TRANSITIONS if BODY_FOR_REQUIREMENTS[t.requires] is body]


def _action_field(body: type[serializers.Serializer[Any]]) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=actions_taking(body), help_text="The workflow action to fire.")


# For POST /transitions/: one body shape per group of actions, told apart by ``action``.
class TransitionBodyActionSerializer(TransitionBodySerializer):
    """An action that needs nothing but may carry a comment."""

    action = _action_field(TransitionBodySerializer)


class CommentedTransitionActionSerializer(CommentedTransitionSerializer):
    """An action that needs a comment (a reason, a question, an answer)."""

    action = _action_field(CommentedTransitionSerializer)


class DuplicateTransitionActionSerializer(DuplicateTransitionSerializer):
    action = _action_field(DuplicateTransitionSerializer)


class EscalationActionSerializer(EscalationSerializer):
    action = _action_field(EscalationSerializer)


TRANSITION_WITH_ACTION: dict[type[serializers.Serializer[Any]], type[serializers.Serializer[Any]]] = {
    TransitionBodySerializer: TransitionBodyActionSerializer,
    CommentedTransitionSerializer: CommentedTransitionActionSerializer,
    DuplicateTransitionSerializer: DuplicateTransitionActionSerializer,
    EscalationSerializer: EscalationActionSerializer,
}


class AssignSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    assignee = serializers.CharField(
        allow_null=True,
        max_length=150,
        validators=[RegexValidator(USERNAME_PATTERN)],
        help_text="The reviewer's username, or null to unassign.",
    )
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class TakeSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
