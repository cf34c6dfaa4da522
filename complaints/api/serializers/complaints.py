"""Serializers of a complaint as staff and filers see it, and of the filing request."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _l
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.access import roles_for
from complaints.api.filters import BoundedDateTimeField
from complaints.api.serializers.common import (
    NOT_BLANK,
    ActionSerializer,
    CachedFieldsMixin,
    MultiLineField,
    OneLineField,
    StrictJSONMixin,
    actions_payload,
)
from complaints.models import (
    Category,
    Complaint,
    Election,
    Evidence,
    EvidenceCopyState,
    PollingStation,
    Reporter,
    Severity,
    TerritorialUnit,
)
from complaints.models.complaint import DESCRIPTION_MAX_LENGTH
from complaints.models.taxonomy import LANGUAGES
from complaints.services.notes import REVEAL_PURPOSE_MAX_LENGTH


class PollingStationBriefSerializer(CachedFieldsMixin, serializers.ModelSerializer[PollingStation]):
    class Meta:
        model = PollingStation
        fields = ["id", "number", "address"]
        read_only_fields = fields


class EvidenceSerializer(CachedFieldsMixin, serializers.ModelSerializer[Evidence]):
    download_url = serializers.SerializerMethodField()
    public_download_url = serializers.SerializerMethodField(
        help_text="The copy without metadata (EXIF, GPS, camera; orientation applied), once public_state is "
        "ready; else null."
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "sha256",
            "size",
            "content_type",
            "original_name",
            "uploaded_at",
            "download_url",
            "public_state",
            "public_sha256",
            "public_size",
            "public_content_type",
            "public_download_url",
        ]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_download_url(self, obj: Evidence) -> str:
        return self._absolute(reverse("api-evidence-download", kwargs={"pk": obj.pk}))

    def get_public_download_url(self, obj: Evidence) -> str | None:
        if obj.public_state != EvidenceCopyState.READY:
            return None
        return self._absolute(reverse("api-evidence-download", kwargs={"pk": obj.pk}) + "?copy=stripped")


class ComplaintSerializer(CachedFieldsMixin, serializers.ModelSerializer[Complaint]):
    """A complaint as its reader may see it. Never carries the reporter's identity."""

    category: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    polling_station = PollingStationBriefSerializer(read_only=True, allow_null=True)
    unit: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    assignee: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    duplicate_of: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    sla_paused = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "code",
            "election",
            "category",
            "category_name",
            "polling_station",
            "unit",
            "place_text",
            "occurred_at",
            "description",
            "severity",
            "priority",
            "status",
            "status_label",
            "version",
            "assignee",
            "assigned_at",
            "due_at",
            "sla_paused",
            "sla_breached_at",
            "duplicate_of",
            "channel",
            "created_at",
            "updated_at",
            "available_actions",
        ]
        read_only_fields = fields

    def get_sla_paused(self, obj: Complaint) -> bool:
        return obj.sla_paused_at is not None

    @extend_schema_field(ActionSerializer(many=True))
    def get_available_actions(self, obj: Complaint) -> list[dict[str, Any]]:
        request = self.context.get("request")
        return actions_payload(obj, roles_for(getattr(request, "user", None), obj))


class ComplaintDetailSerializer(ComplaintSerializer):
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "evidence"]
        read_only_fields = fields


class FilingSerializer(ComplaintDetailSerializer):
    """The answer to a filing: the complaint plus the follow-up secret, shown this once."""

    secret = serializers.SerializerMethodField(
        help_text="Keep it with the receipt code to follow the complaint without an account. "
        "Shown only in the first answer; only its hash is stored. Null in a replay (see secret_redacted)."
    )
    secret_redacted = serializers.SerializerMethodField(
        help_text="True when this is a replay of an earlier answer (same Idempotency-Key): the secret is not repeated."
    )

    class Meta(ComplaintDetailSerializer.Meta):
        fields = [*ComplaintDetailSerializer.Meta.fields, "secret", "secret_redacted"]
        read_only_fields = fields

    def get_secret(self, obj: Complaint) -> str | None:
        return self.context.get("secret")

    def get_secret_redacted(self, obj: Complaint) -> bool:
        return False


class OccurredAtField(BoundedDateTimeField):
    """Times a database can hold; the service then applies the election's own campaign bounds."""

    default_error_messages = {
        "out_of_range": _l(
            "The time it happened is outside this election's campaign; give the time of the incident, "
            "with its time zone."
        ),
    }


class ComplaintCreateSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    election = serializers.PrimaryKeyRelatedField(queryset=Election.objects.all())
    category: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.all(), help_text="A category code, e.g. `pressure.employer`."
    )
    polling_station = serializers.PrimaryKeyRelatedField(
        queryset=PollingStation.objects.select_related("unit"), required=False, allow_null=True
    )
    unit: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code",
        queryset=TerritorialUnit.objects.all(),
        required=False,
        allow_null=True,
        help_text="A territorial unit code, when there is no polling station.",
    )
    place_text = OneLineField(
        required=False, allow_blank=True, max_length=300, default="", help_text="Where it happened, in words."
    )
    occurred_at = OccurredAtField(help_text="When it happened: within the election's campaign, not in the future.")
    description = MultiLineField(min_length=10, max_length=DESCRIPTION_MAX_LENGTH, help_text="What happened.")
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_null=True, help_text="Defaults to the category's severity."
    )
    anonymous = serializers.BooleanField(
        required=False, default=False, help_text="File without identity; follow up with the receipt code and secret."
    )
    full_name = OneLineField(required=False, allow_blank=True, max_length=200, default="")
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254, default="")
    phone = OneLineField(required=False, allow_blank=True, max_length=40, default="")
    language = serializers.ChoiceField(
        choices=LANGUAGES, required=False, help_text="Language for messages to the complainant."
    )


class ComplaintCreateMultipartSerializer(ComplaintCreateSerializer):
    files = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10, help_text="Evidence files (repeat the field)."
    )


class ReporterSerializer(serializers.ModelSerializer[Reporter]):
    email = serializers.CharField(read_only=True, help_text="Empty when not given.")
    username: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        source="user", slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Reporter
        fields = ["is_anonymous", "full_name", "email", "phone", "language", "username"]
        read_only_fields = fields


class RevealSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    purpose = OneLineField(
        max_length=REVEAL_PURPOSE_MAX_LENGTH,
        validators=[NOT_BLANK],  # something in it besides spaces: what the service accepts
        help_text="Why you need to see who filed it (one line); kept in the audit log with your name.",
    )


class EvidenceUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="A photo, video, audio recording or PDF (type checked from its bytes).")


# --- the anonymous complainant ------------------------------------------------------
