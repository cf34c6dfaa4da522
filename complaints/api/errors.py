"""One error format for every 4xx: ``{"error": {"code", "message", "fields": {name: [{code, message}]}}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from complaints import services, workflow

DOMAIN_STATUS: list[tuple[type[Exception], int]] = [
    (services.StaleVersion, status.HTTP_409_CONFLICT),
    (services.ComplaintClosed, status.HTTP_409_CONFLICT),
    (services.EvidenceTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (services.EvidenceTypeNotAllowed, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE),
    (workflow.InvalidTransition, status.HTTP_409_CONFLICT),
    (workflow.NotAllowed, status.HTTP_403_FORBIDDEN),
    (workflow.WorkflowError, status.HTTP_400_BAD_REQUEST),
    (services.ServiceError, status.HTTP_400_BAD_REQUEST),
]


def _field_errors(detail: Any) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    if isinstance(detail, dict):
        for name, errors in detail.items():
            items = errors if isinstance(errors, list) else [errors]
            out[str(name)] = [
                {"code": getattr(e, "code", "invalid"), "message": str(e)} for e in items if not isinstance(e, dict)
            ] or [{"code": "invalid", "message": str(items)}]
    return out


def error_body(code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    for exc_type, http_status in DOMAIN_STATUS:
        if isinstance(exc, exc_type):
            message = str(exc)
            field = getattr(exc, "field", None)
            fields = {field: [{"code": exc.code, "message": message}]} if field else {}  # type: ignore[attr-defined]
            extra: dict[str, Any] = {}
            if isinstance(exc, services.StaleVersion):
                extra = {"current_status": exc.current_status, "current_version": exc.current_version}
            if isinstance(exc, workflow.MissingRequirement):
                fields = {m: [{"code": "required", "message": message}] for m in exc.missing}
            return Response(error_body(exc.code, message, fields, **extra), status=http_status)  # type: ignore[attr-defined]
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, list):
            detail = {"non_field_errors": detail}
        fields = _field_errors(detail)
        first = next(iter(fields.values()), [{"message": "Invalid input."}])[0]["message"]
        message = first if len(fields) == 1 else "Some fields are invalid; see fields."
        response.data = error_body("invalid", message, fields)
    elif isinstance(exc, exceptions.APIException):
        response.data = error_body(
            str(exc.get_codes()) if isinstance(exc.get_codes(), str) else exc.default_code, str(exc.detail)
        )
    return response


@csrf_exempt
def api_not_found(request: Any, *args: Any, **kwargs: Any) -> Any:
    """404 in the error format for URLs under /api/v1/ that match no endpoint (any method)."""
    from django.http import JsonResponse

    return JsonResponse(
        error_body("not_found", "No API endpoint at this address; see /api/v1/docs/."), status=status.HTTP_404_NOT_FOUND
    )
