"""Serializers of the code+secret API of an anonymous complainant."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _l
from rest_framework import serializers

from complaints import workflow
from complaints.api.serializers.common import (
    RECEIPT_CODE_HELP,
    RECEIPT_CODE_VALIDATOR,
    SECRET_PATTERN,
    ActionSerializer,
    StrictJSONMixin,
)
from complaints.api.serializers.transitions import optional_comment_field, required_text_field, version_field
from complaints.models import (
    Evidence,
    Note,
    Status,
)


class ReceiptSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    code = serializers.CharField(max_length=14, validators=[RECEIPT_CODE_VALIDATOR], help_text=RECEIPT_CODE_HELP)
    secret = serializers.CharField(
        max_length=100,
        validators=[RegexValidator(SECRET_PATTERN, _l("This is not a follow-up secret."))],
        help_text="The secret shown once at filing.",
    )


COMPLAINANT_ACTIONS = [t.action for t in workflow.TRANSITIONS if workflow.Role.COMPLAINANT in t.roles]


class ComplainantProvideInfoSerializer(ReceiptSerializer):
    action = serializers.ChoiceField(choices=["provide_info"])
    comment = required_text_field(10000, "Required: the reason, question or answer.")
    version = version_field()


class ComplainantWithdrawSerializer(ReceiptSerializer):
    action = serializers.ChoiceField(choices=["withdraw"])
    comment = optional_comment_field()
    version = version_field()


# provide_info needs the answer as ``comment``; withdraw needs nothing.
COMPLAINANT_ACTION_BODIES: dict[str, Any] = {
    "provide_info": ComplainantProvideInfoSerializer,
    "withdraw": ComplainantWithdrawSerializer,
}


class ComplainantEvidenceSerializer(ReceiptSerializer):
    file = serializers.FileField()


class MessageSerializer(serializers.ModelSerializer[Note]):
    class Meta:
        model = Note
        fields = ["body", "from_complainant", "created_at"]
        read_only_fields = fields


class ReceiptStatusSerializer(serializers.Serializer[Any]):
    """What a complainant may know: the status and the messages exchanged, nothing more."""

    code = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    messages = MessageSerializer(many=True)
    available_actions = ActionSerializer(many=True)


class PublicEvidenceSerializer(serializers.ModelSerializer[Evidence]):
    class Meta:
        model = Evidence
        fields = ["id", "sha256", "size", "content_type", "original_name", "uploaded_at"]
        read_only_fields = fields


# --- webhooks -----------------------------------------------------------------------
