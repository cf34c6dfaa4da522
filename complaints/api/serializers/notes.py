"""Serializers of internal notes and of the complaint's timeline."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.api.serializers.common import (
    NOT_BLANK,
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
        return str(obj.author.get_username())


class NoteCreateSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    body = serializers.CharField(max_length=10000, validators=[NOT_BLANK])
    visibility = serializers.ChoiceField(
        choices=NoteVisibility.choices,
        required=False,
        default=NoteVisibility.INTERNAL,
        help_text="`internal`: reviewers only; `complainant`: a message the complainant sees (and is emailed).",
    )


# Payload keys a complainant may see on their own complaint's timeline.
COMPLAINANT_PAYLOAD_KEYS = {"comment", "channel", "category", "name", "size", "sha256", "content_type"}


class TimelineEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.SerializerMethodField(help_text="Who did it (staff readers see usernames).")
    payload = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["seq", "action", "actor", "from_status", "to_status", "payload", "created_at", "prev_hash", "hash"]
        read_only_fields = fields

    def get_actor(self, obj: AuditEvent) -> str:
        if self.context.get("staff") or obj.actor_label in ("complainant", "anonymous", "system"):
            return obj.actor_label
        return "registry"

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, obj: AuditEvent) -> dict[str, Any]:
        if self.context.get("staff"):
            return dict(obj.payload)
        return {k: v for k, v in obj.payload.items() if k in COMPLAINANT_PAYLOAD_KEYS}
