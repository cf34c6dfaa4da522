"""Shared shapes of the API's serializers: receipt-code and URL patterns, strict JSON types, cached fields."""

from __future__ import annotations

import copy
from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from complaints import events, text, workflow
from complaints.access import access_for
from complaints.models import (
    Complaint,
)

RECEIPT_CODE_HELP = "The receipt code, e.g. `7KQ4-M2XD-9PTW`."
RECEIPT_CODE_PATTERN = r"^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$"
RECEIPT_CODE_VALIDATOR = RegexValidator(RECEIPT_CODE_PATTERN, _l("Enter a receipt code like 7KQ4-M2XD-9PTW."))
SECRET_PATTERN = r"^[A-Za-z0-9_-]{1,100}$"  # noqa: S105 - a format, not a secret
# "Not only whitespace", with Python's idea of whitespace (DRF strips it), in a regex JSON Schema also reads.
NOT_BLANK = RegexValidator(r"[^\s\u001c-\u001f\u0085]", _l("Write something here; it cannot be only spaces."))
USERNAME_PATTERN = r"^[\w.@+-]{1,150}$"
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\s]+([/?#]\S*)?$"
WEBHOOK_EVENT_TYPES = list(events.WEBHOOK_EVENT_TYPES)


# --- text ------------------------------------------------------------------------


class _TextField(serializers.CharField):
    """Text kept as sent apart from ASCII whitespace at its ends, or refused naming the field (``complaints.text``)."""

    multiline = False

    def __init__(self, **kwargs: Any) -> None:
        kwargs["trim_whitespace"] = False  # str.strip() would remove more than ASCII whitespace
        # The rule in the schema as one pattern (the schema holds one per field), NOT_BLANK's folded in;
        # the check itself is in run_validation, which names the field.
        validators = list(kwargs.get("validators", []))
        not_blank = NOT_BLANK in validators
        pattern = text.text_pattern(multiline=self.multiline, not_blank=not_blank)
        message = NOT_BLANK.message if not_blank else _l("Remove the control characters and send again.")
        kwargs["validators"] = [RegexValidator(pattern, message), *(v for v in validators if v is not NOT_BLANK)]
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if isinstance(data, str):
            try:
                data = text.clean_text(data, field=self.field_name or "", multiline=self.multiline)
            except text.TextRefused as exc:
                raise serializers.ValidationError(exc.message, code=exc.code) from None
        return super().run_validation(data)


class OneLineField(_TextField):
    """One line of text: names, places, phones, authorities, reference numbers, purposes."""


class MultiLineField(_TextField):
    """Text that may hold line breaks: descriptions, comments, notes, decisions."""

    multiline = True


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


class ActionSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=workflow.ACTIONS)
    label = serializers.CharField()  # type: ignore[assignment]
    requires = serializers.ListField(child=serializers.ChoiceField(choices=[r.value for r in workflow.Requirement]))


def actions_payload(complaint: Complaint, roles: set[workflow.Role]) -> list[dict[str, Any]]:
    return [
        {"action": t.action, "label": str(t.label), "requires": sorted(str(r) for r in t.requires)}
        for t in workflow.available_actions(status=complaint.status, roles=roles)
    ]


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
