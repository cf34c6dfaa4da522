"""The legal case over HTTP: authorities, submissions, decisions, appeals, deadlines, respondents and replies."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from complaints import legal_workflow
from complaints.api.serializers.common import RECEIPT_CODE_VALIDATOR, MultiLineField, OneLineField, StrictJSONMixin
from complaints.models import (
    Authority,
    CaseDeadline,
    DeadlineKind,
    Decision,
    Respondent,
    RespondentKind,
    RespondentReply,
    Submission,
    SubmissionChannel,
)

SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"


class AuthoritySerializer(serializers.ModelSerializer[Authority]):
    name = serializers.CharField(read_only=True)
    appeals_to = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)  # type: ignore[var-annotated]
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]

    class Meta:
        model = Authority
        fields = ["id", "code", "kind", "level", "name", "unit", "appeals_to"]


class DecisionSerializer(serializers.ModelSerializer[Decision]):
    class Meta:
        model = Decision
        fields = [
            "result",
            "decided_on",
            "text",
            "sha256",
            "size",
            "content_type",
            "original_name",
            "appeal_due_at",
            "recorded_at",
        ]


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    authority = AuthoritySerializer(read_only=True, allow_null=True)
    authority_label = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    legal_reference = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    available_outcomes = serializers.SerializerMethodField()
    can_appeal = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "authority",
            "authority_text",
            "authority_label",
            "channel",
            "submitted_at",
            "registration_number",
            "document_sha256",
            "state",
            "state_label",
            "answer_due_at",
            "legal_reference",
            "appeal_of",
            "decision",
            "available_outcomes",
            "can_appeal",
        ]

    def get_legal_reference(self, obj: Submission) -> str:
        return obj.deadline_rule.legal_reference if obj.deadline_rule_id and obj.deadline_rule else ""

    def get_decision(self, obj: Submission) -> dict[str, Any] | None:
        decision = getattr(obj, "decision", None) if hasattr(obj, "decision") else None
        return DecisionSerializer(decision).data if decision is not None else None

    def get_available_outcomes(self, obj: Submission) -> list[str]:
        return [
            outcome
            for outcome, action in legal_workflow.OUTCOME_ACTIONS.items()
            if obj.state in legal_workflow.CASE_BY_ACTION[action].sources
        ]

    def get_can_appeal(self, obj: Submission) -> bool:
        return obj.state in legal_workflow.CASE_BY_ACTION["appeal"].sources


class DeadlineSerializer(serializers.ModelSerializer[CaseDeadline]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = CaseDeadline
        fields = ["id", "kind", "kind_label", "due_at", "urgent", "state", "legal_reference", "submission"]


class NextDeadlineSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=DeadlineKind.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    due_at = serializers.DateTimeField()
    legal_reference = serializers.CharField()
    urgent = serializers.BooleanField()
    estimated = serializers.BooleanField(help_text="Computed for display; the periodic check starts the clock.")
    overdue = serializers.BooleanField()
    submission_id = serializers.IntegerField(allow_null=True)


class RespondentReplySerializer(serializers.ModelSerializer[RespondentReply]):
    class Meta:
        model = RespondentReply
        fields = ["id", "received_on", "text", "sha256", "size", "content_type", "original_name", "recorded_at"]


class RespondentSerializer(serializers.ModelSerializer[Respondent]):
    replies = RespondentReplySerializer(many=True, read_only=True)

    class Meta:
        model = Respondent
        fields = ["id", "kind", "name", "description", "created_at", "replies"]


class CaseSerializer(serializers.Serializer[Any]):
    next_deadline = NextDeadlineSerializer(allow_null=True)
    deadlines = DeadlineSerializer(many=True)
    submissions = SubmissionSerializer(many=True)
    chains = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="Submission ids, each first filing followed by its appeals in order.",
    )
    respondents = RespondentSerializer(many=True)


class _FilingFields(StrictJSONMixin, serializers.Serializer[Any]):
    authority = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1, help_text="An id from /authorities/."
    )
    authority_text = OneLineField(
        required=False, allow_blank=True, max_length=300, help_text="The body's name, when it is not in the register."
    )
    channel = serializers.ChoiceField(choices=SubmissionChannel.choices, default=SubmissionChannel.IN_PERSON)
    submitted_at = serializers.DateTimeField(required=False, help_text="When it was filed (default: now).")
    registration_number = OneLineField(required=False, allow_blank=True, max_length=120)
    document_sha256 = serializers.RegexField(
        SHA256_PATTERN, required=False, allow_blank=True, help_text="SHA-256 of the document version filed."
    )


class SubmissionCreateSerializer(_FilingFields):
    also_covers = serializers.ListField(
        child=serializers.CharField(validators=[RECEIPT_CODE_VALIDATOR], max_length=14),
        required=False,
        max_length=50,
        help_text="Receipt codes of other complaints about the same incident filed in the same document.",
    )


class AppealCreateSerializer(_FilingFields):
    """Without ``authority`` or ``authority_text`` the appeal goes to the next body in the register."""


class OutcomeSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=list(legal_workflow.OUTCOME_ACTIONS))
    registration_number = OneLineField(required=False, allow_blank=True, max_length=120)
    decided_on = serializers.DateField(required=False)
    text = MultiLineField(required=False, allow_blank=True, max_length=20_000)
    file = serializers.FileField(
        required=False,
        max_length=200,
        help_text=f"The decision document (at most {settings.EVIDENCE_MAX_BYTES} bytes).",
    )


class RespondentCreateSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=RespondentKind.choices)
    name = OneLineField(max_length=200)
    description = MultiLineField(required=False, allow_blank=True, max_length=5000)


class ReplyCreateSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    received_on = serializers.DateField()
    text = MultiLineField(required=False, allow_blank=True, max_length=20_000)
    file = serializers.FileField(required=False, max_length=200)
