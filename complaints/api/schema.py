"""OpenAPI details drf-spectacular cannot guess: API-key auth, anonymous access, the error responses.

The schema is generated in English whatever the request's language (``EnglishSchemaGenerator``,
SPECTACULAR_SETTINGS["DEFAULT_GENERATOR_CLASS"]): it is a contract for developers whose names,
codes and descriptions are English, so one URL gives one document. Responses of the API
itself (error messages, labels in payloads) still follow the request's Accept-Language.
"""

from __future__ import annotations

from typing import Any, Literal

from django.utils import translation
from django.utils.functional import Promise
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers

from complaints.models import Status


class FieldErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine code, e.g. `required`, `invalid`.")
    message = serializers.CharField(help_text="What is wrong and how to fix it, in the request language.")


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        help_text="Stable machine code: `invalid`, `not_found`, `not_authenticated`, `stale_version`, "
        "`invalid_transition`, `not_allowed`, `too_large`, `unsupported_type`, `throttled`, "
        "`idempotency_key_reused`, ..."
    )
    message = serializers.CharField(help_text="A sentence for humans saying what to fix.")
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=FieldErrorSerializer()),
        help_text="Per-field problems, keyed by field (or header) name; empty when the error is not about a field.",
    )
    current_status = serializers.ChoiceField(
        choices=Status.choices, required=False, help_text="On `stale_version`: the complaint's status now."
    )
    current_version = serializers.IntegerField(required=False, help_text="On `stale_version`: its version now.")


class ErrorSerializer(serializers.Serializer[Any]):
    """The one error body of every 4xx answer."""

    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "Invalid input: see `error.fields`.",
    401: "No credentials, or an invalid, expired or revoked API key.",
    403: "Authenticated, but this role may not do this (or the CSRF check failed for a browser session).",
    404: "No such object, or it is outside the caller's reach.",
    406: "The Accept header asks for a format other than JSON.",
    409: "Conflict: the complaint changed (stale version) or is not in a state that allows this.",
    413: "A file is larger than the evidence size limit.",
    415: "Unsupported request content type, or a file that is not a photo, video, audio or PDF.",
    422: "The Idempotency-Key was already used with a different request body.",
    429: "Too many requests: wait for the number of seconds in Retry-After.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "complaints.api.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Api-Key <key>` (or the header `X-Api-Key: <key>`). "
            "A key acts as its service user, with that user's role and territorial scope.",
        }


class RegistryAutoSchema(AutoSchema):
    """Adds anonymous access where a permission allows it, and the error responses every operation can give."""

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        anonymous = any(
            getattr(p, "allows_anonymous", lambda method: False)(self.method) for p in self.view.get_permissions()
        )
        if anonymous and {} not in auths:
            auths.append({})
        return auths

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> tuple[Any, bool]:
        schema, required = super()._get_request_for_media_type(serializer, direction)
        # A oneOf body (an action and its fields) is always required; drf-spectacular cannot tell.
        return schema, required or isinstance(serializer, PolymorphicProxySerializer)

    def _standard_error_codes(self) -> list[int]:
        codes = [401, 403, 406, 429]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += [400, 415]
        if self.method == "GET" and self._is_list_view():
            codes.append(400)
        if "{" in self.path:
            codes.append(404)
        return codes

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._standard_error_codes():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(ErrorSerializer, str(code), direction=direction)
                responses[str(code)]["description"] = ERROR_DESCRIPTIONS[code]
        return dict(sorted(responses.items()))


SCHEMA_LANGUAGE = "en"


def _evaluated(value: Any) -> Any:
    """Lazy translations turned into text now, while English is active (rendering happens later)."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {_evaluated(k): _evaluated(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_evaluated(v) for v in value)
    return value


class EnglishSchemaGenerator(SchemaGenerator):
    """The schema in English, whatever Accept-Language or ``?lang=`` asked for."""

    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any]:
        with translation.override(SCHEMA_LANGUAGE):
            return _evaluated(super().get_schema(request=request, public=public))
