"""HTTP <-> domain: input validation of shape and types, output representation.

No business rule lives here: filing, transitions, notes and evidence go through
``complaints.services``; the status is never writable.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from complaints import events, workflow
from complaints.access import access_for, roles_for
from complaints.models import (
    AuditEvent,
    Category,
    Complaint,
    Election,
    Evidence,
    Note,
    NoteVisibility,
    OutboxMessage,
    PollingStation,
    Reporter,
    Severity,
    Status,
    TerritorialUnit,
    WebhookDelivery,
    WebhookSubscription,
)
from complaints.models.complaint import DESCRIPTION_MAX_LENGTH
from complaints.models.taxonomy import LANGUAGES

RECEIPT_CODE_HELP = "The receipt code, e.g. `7KQ4-M2XD-9PTW`."
RECEIPT_CODE_PATTERN = r"^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$"
RECEIPT_CODE_VALIDATOR = RegexValidator(RECEIPT_CODE_PATTERN, _l("Enter a receipt code like 7KQ4-M2XD-9PTW."))
SECRET_PATTERN = r"^[A-Za-z0-9_-]{1,100}$"  # noqa: S105 - a format, not a secret
# "Not only whitespace", with Python's idea of whitespace (DRF strips it), in a regex JSON Schema also reads.
NOT_BLANK = RegexValidator(r"[^\s\u001c-\u001f\u0085]", _l("Write something here; it cannot be only spaces."))
USERNAME_PATTERN = r"^[\w.@+-]{1,150}$"
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\s]+([/?#]\S*)?$"
WEBHOOK_EVENT_TYPES = list(events.WEBHOOK_EVENT_TYPES)


# --- strict JSON input ---------------------------------------------------------------


def _expected_json_type(field: serializers.Field) -> tuple[type | tuple[type, ...], str] | None:
    if isinstance(field, serializers.BooleanField):
        return bool, _("Expected true or false.")
    if isinstance(field, serializers.ChoiceField):
        numeric = all(isinstance(k, int) for k in field.choices)
        return (int, _("Expected an integer.")) if numeric else (str, _("Expected a string."))
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        return int, _("Expected an integer.")
    if isinstance(field, serializers.ListField):
        return list, _("Expected a list.")
    if isinstance(field, serializers.CharField | serializers.SlugRelatedField | serializers.DateTimeField):
        return str, _("Expected a string.")
    return None


def json_type_error(field: serializers.Field, value: Any) -> str | None:
    """Why ``value`` has the wrong JSON type for ``field`` (DRF would coerce 0 to "0" and "3" to 3)."""
    if value is None:
        return None  # DRF answers "may not be null" itself, or accepts it
    if value == "" and isinstance(field, serializers.RelatedField):
        return str(_("Expected a code or an id; send null for none."))  # DRF would read "" as null
    expected = _expected_json_type(field)
    if expected is None:
        return None
    kind, message = expected
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return str(message)
    if isinstance(field, serializers.ListField) and field.child is not None:
        items: list[Any] = value  # type: ignore[assignment]  # checked by isinstance above
        return next((e for e in (json_type_error(field.child, item) for item in items) if e), None)
    return None


class StrictJSONMixin:
    """For request bodies: in JSON, a value of the wrong type is a 400, not silently converted."""

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and not hasattr(data, "getlist"):
            errors = {
                name: [ErrorDetail(problem, code="invalid_type")]
                for name, field in self.fields.items()
                if not field.read_only and name in data and (problem := json_type_error(field, data[name]))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


class CachedFieldsMixin:
    """ModelSerializer introspection (model fields -> serializer fields) once per class, not per request.

    The introspected fields depend only on the class (its Meta and declared fields), so the
    first result is kept on the class and each instance gets its own deep copy, as DRF's own
    ``_declared_fields`` handling does: fields are bound to their serializer, never shared.
    """

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        prototype: dict[str, Any] | None = cls.__dict__.get("_cached_field_prototype")
        if prototype is None:
            prototype = super().get_fields()  # type: ignore[misc]
            cls._cached_field_prototype = prototype  # type: ignore[attr-defined]
        return copy.deepcopy(prototype)


# --- reference data -------------------------------------------------------------


class ElectionSerializer(serializers.ModelSerializer[Election]):
    name = serializers.CharField(read_only=True, help_text="In the request language (Accept-Language).")

    class Meta:
        model = Election
        fields = ["id", "slug", "name", "kind", "voting_day", "country", "status"]
        read_only_fields = fields


class TerritorialUnitSerializer(serializers.ModelSerializer[TerritorialUnit]):
    name = serializers.CharField(read_only=True, help_text="In the request language (Accept-Language).")
    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = TerritorialUnit
        fields = ["code", "name", "level", "parent", "path"]
        read_only_fields = fields


class PollingStationSerializer(serializers.ModelSerializer[PollingStation]):
    unit: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PollingStation
        fields = ["id", "number", "address", "unit", "latitude", "longitude"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer[Category]):
    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )
    name = serializers.CharField(read_only=True, help_text="In the request language (Accept-Language).")
    help = serializers.CharField(source="help_text", read_only=True, help_text="Guidance for filers, localised.")

    class Meta:
        model = Category
        fields = ["code", "parent", "name", "help", "default_severity", "legal_reference"]
        read_only_fields = fields


# --- complaints -----------------------------------------------------------------


class ActionSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=workflow.ACTIONS)
    label = serializers.CharField()  # type: ignore[assignment]
    requires = serializers.ListField(child=serializers.ChoiceField(choices=[r.value for r in workflow.Requirement]))


def actions_payload(complaint: Complaint, roles: set[workflow.Role]) -> list[dict[str, Any]]:
    return [
        {"action": t.action, "label": str(t.label), "requires": sorted(str(r) for r in t.requires)}
        for t in workflow.available_actions(status=complaint.status, roles=roles)
    ]


class PollingStationBriefSerializer(CachedFieldsMixin, serializers.ModelSerializer[PollingStation]):
    class Meta:
        model = PollingStation
        fields = ["id", "number", "address"]
        read_only_fields = fields


class EvidenceSerializer(CachedFieldsMixin, serializers.ModelSerializer[Evidence]):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "sha256", "size", "content_type", "original_name", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj: Evidence) -> str:
        path = reverse("api-evidence-download", kwargs={"pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


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
    place_text = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default="", help_text="Where it happened, in words."
    )
    occurred_at = serializers.DateTimeField(help_text="When it happened (not in the future).")
    description = serializers.CharField(min_length=10, max_length=DESCRIPTION_MAX_LENGTH, help_text="What happened.")
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_null=True, help_text="Defaults to the category's severity."
    )
    anonymous = serializers.BooleanField(
        required=False, default=False, help_text="File without identity; follow up with the receipt code and secret."
    )
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254, default="")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    language = serializers.ChoiceField(
        choices=LANGUAGES, required=False, help_text="Language for messages to the complainant."
    )


class ComplaintCreateMultipartSerializer(ComplaintCreateSerializer):
    files = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=10, help_text="Evidence files (repeat the field)."
    )


def _version() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The version you saw; 409 if the complaint changed since. (Or send If-Match.)",
    )


def _optional_comment() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


def _required_text(max_length: int, help_text: str) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, validators=[NOT_BLANK], help_text=help_text)


class TransitionBodySerializer(StrictJSONMixin, serializers.Serializer[Any]):
    """An action that needs nothing but may carry a comment."""

    comment = _optional_comment()
    version = _version()


class CommentedTransitionSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    """An action that needs a comment (a reason, a question, an answer)."""

    comment = _required_text(10000, "Required: the reason, question or answer.")
    version = _version()


class DuplicateTransitionSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    duplicate_of = serializers.CharField(
        max_length=14, validators=[RECEIPT_CODE_VALIDATOR], help_text="The original complaint's receipt code."
    )
    comment = _optional_comment()
    version = _version()


class EscalationSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    authority = _required_text(300, "The authority it is sent to, e.g. the territorial election commission.")
    authority_reference = _required_text(300, "The authority's reference (incoming number) for the case.")
    comment = _optional_comment()
    version = _version()


BODY_FOR_REQUIREMENTS: dict[frozenset[workflow.Requirement], type[serializers.Serializer[Any]]] = {
    frozenset(): TransitionBodySerializer,
    frozenset({workflow.Requirement.COMMENT}): CommentedTransitionSerializer,
    frozenset({workflow.Requirement.ORIGINAL}): DuplicateTransitionSerializer,
    frozenset({workflow.Requirement.AUTHORITY, workflow.Requirement.AUTHORITY_REFERENCE}): EscalationSerializer,
}


def transition_body(action: str) -> type[serializers.Serializer[Any]]:
    """The request body an action takes: exactly the fields the workflow table requires of it."""
    return BODY_FOR_REQUIREMENTS[workflow.BY_ACTION[action].requires]


def _with_action(body: type[serializers.Serializer[Any]]) -> type[serializers.Serializer[Any]]:
    actions = [t.action for t in workflow.TRANSITIONS if BODY_FOR_REQUIREMENTS[t.requires] is body]
    name = body.__name__.replace("Serializer", "") + "ActionSerializer"
    field = serializers.ChoiceField(choices=actions, help_text="The workflow action to fire.")
    return type(name, (body,), {"action": field, "__doc__": body.__doc__})


# For POST /transitions/: one body shape per group of actions, told apart by ``action``.
TRANSITION_WITH_ACTION = {body: _with_action(body) for body in BODY_FOR_REQUIREMENTS.values()}


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


class ReporterSerializer(serializers.ModelSerializer[Reporter]):
    email = serializers.CharField(read_only=True, help_text="Empty when not given.")
    username: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        source="user", slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Reporter
        fields = ["is_anonymous", "full_name", "email", "phone", "language", "username"]
        read_only_fields = fields


class EvidenceUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="A photo, video, audio recording or PDF (type checked from its bytes).")


# --- the anonymous complainant ------------------------------------------------------


class ReceiptSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    code = serializers.CharField(max_length=14, validators=[RECEIPT_CODE_VALIDATOR], help_text=RECEIPT_CODE_HELP)
    secret = serializers.CharField(
        max_length=100,
        validators=[RegexValidator(SECRET_PATTERN, _l("This is not a follow-up secret."))],
        help_text="The secret shown once at filing.",
    )


COMPLAINANT_ACTIONS = [t.action for t in workflow.TRANSITIONS if workflow.Role.COMPLAINANT in t.roles]


def _complainant_action(action: str) -> type[serializers.Serializer[Any]]:
    """code + secret + action + the fields the action requires (deep copies: a field belongs to one class)."""
    declared = transition_body(action)._declared_fields
    fields: dict[str, serializers.Field] = {"action": serializers.ChoiceField(choices=[action])}
    fields.update({name: copy.deepcopy(field) for name, field in declared.items()})
    name = "Complainant" + action.title().replace("_", "") + "Serializer"
    return type(name, (ReceiptSerializer,), fields)


# provide_info needs the answer as ``comment``; withdraw needs nothing.
COMPLAINANT_ACTION_BODIES: dict[str, Any] = {action: _complainant_action(action) for action in COMPLAINANT_ACTIONS}


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


class WebhookSubscriptionSerializer(StrictJSONMixin, serializers.ModelSerializer[WebhookSubscription]):
    url = serializers.URLField(
        max_length=500,
        validators=[RegexValidator(URL_PATTERN, _l("Use an http:// or https:// URL without credentials."))],
        help_text="http(s) only; must not point at a private address.",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENT_TYPES),
        required=False,
        max_length=len(WEBHOOK_EVENT_TYPES),
        help_text="Events to receive; empty means all.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "event_types",
            "is_active",
            "disabled_reason",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "disabled_reason", "previous_secret_expires_at", "created_at", "updated_at"]


class WebhookSubscriptionSecretSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The Standard Webhooks signing secret (whsec_...). Shown only now; store it."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    event_type = serializers.CharField(source="message.event_type", read_only=True)
    webhook_id = serializers.CharField(source="message.idempotency_key", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "message",
            "webhook_id",
            "event_type",
            "attempt",
            "status_code",
            "latency_ms",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class DeadLetterSerializer(serializers.ModelSerializer[OutboxMessage]):
    complaint: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    webhook_id = serializers.CharField(source="idempotency_key", read_only=True)

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "event_type",
            "subscription",
            "complaint",
            "webhook_id",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "created_at",
        ]
        read_only_fields = fields


def is_staff_reader(user: Any, complaint: Complaint) -> bool:
    """Reviewers, coordinators and admins whose scope covers the complaint."""
    access = access_for(user)
    return bool(access.staff_roles) and access.covers(complaint.unit_path)


class ActionChoiceSerializer(StrictJSONMixin, serializers.Serializer[Any]):
    """Reads only ``action``, to pick the body serializer; choices come from the context."""

    action = serializers.CharField(max_length=40)

    def validate_action(self, value: str) -> str:
        choices = self.context["choices"]
        if value not in choices:
            raise serializers.ValidationError(
                _("Unknown action “%(action)s”; use one of: %(valid)s.")
                % {"action": value, "valid": ", ".join(choices)},
                code="invalid_choice",
            )
        return value
