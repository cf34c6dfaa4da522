"""Serializers of internal notes and of the complaint's timeline."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints import workflow
from complaints.api.serializers.common import (
    NOT_BLANK,
    MultiLineField,
    StrictJSONMixin,
)
from complaints.models import (
    AuditEvent,
    Note,
    NoteVisibility,
)


class NoteSerializer(serializers.ModelSerializer[Note]):
    author = serializers.SerializerMethodField(help_text="The author's username (staff readers only).")

    class Meta:
        model = Note
        fields = ["id", "body", "visibility", "from_complainant", "author", "created_at"]
        read_only_fields = fields

    def get_author(self, obj: Note) -> str | None:
        if not self.context.get("staff") or obj.author is None:
            return None
        # The filer's own account is never named: identity only through the audited /reporter/.
        if obj.from_complainant or obj.author_id == self.context.get("reporter_user_id"):
            return "complainant"
        return str(obj.author.get_username())


class NoteCreateSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    body = MultiLineField(max_length=10000, validators=[NOT_BLANK])
    visibility = serializers.ChoiceField(
        choices=NoteVisibility.choices,
        required=False,
        default=NoteVisibility.INTERNAL,
        help_text="`internal`: reviewers only; `complainant`: a message the complainant sees (and is emailed).",
    )


# Payload keys a complainant may see on their own complaint's timeline.
COMPLAINANT_PAYLOAD_KEYS = {"comment", "channel", "category", "name", "size", "sha256", "content_type"}


COMPLAINANT_LABELS = frozenset({"complainant", "anonymous"})


def addressed_to_complainant(action: str) -> bool:
    transition = workflow.BY_ACTION.get(action)
    return transition is not None and workflow.Effect.NOTE_TO_COMPLAINANT in transition.effects


class TimelineEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.SerializerMethodField(help_text="Who did it (staff readers see usernames).")
    payload = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["seq", "action", "actor", "from_status", "to_status", "payload", "created_at", "prev_hash", "hash"]
        read_only_fields = fields

    def _by_complainant(self, obj: AuditEvent) -> bool:
        reporter_user_id = self.context.get("reporter_user_id")
        return obj.actor_label in COMPLAINANT_LABELS or (obj.actor_id is not None and obj.actor_id == reporter_user_id)

    def get_actor(self, obj: AuditEvent) -> str:
        # The filer's own account is never named, to staff either (the label in the chain is
        # the username): identity is read only through the audited /reporter/ endpoint.
        if self._by_complainant(obj):
            return "complainant"
        if self.context.get("staff") or obj.actor_label == "system":
            return obj.actor_label
        return "registry"

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, obj: AuditEvent) -> dict[str, Any]:
        if self.context.get("staff"):
            return dict(obj.payload)
        payload = {k: v for k, v in obj.payload.items() if k in COMPLAINANT_PAYLOAD_KEYS}
        # A staff comment reaches the complainant only when the action addresses it to them.
        if "comment" in payload and not (self._by_complainant(obj) or addressed_to_complainant(obj.action)):
            del payload["comment"]
        return payload
