"""One error format for every 4xx: ``{"error": {"code", "message", "fields": {name: [{code, message}]}}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from complaints import services, workflow
from complaints.api.parsers import BodyRefused
from complaints.errors import StorageFull, Unavailable

log = logging.getLogger(__name__)

DOMAIN_STATUS: list[tuple[type[Exception], int]] = [
    (StorageFull, status.HTTP_507_INSUFFICIENT_STORAGE),
    (Unavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
    (services.StaleVersion, status.HTTP_409_CONFLICT),
    (services.ComplaintClosed, status.HTTP_409_CONFLICT),
    (services.EvidenceTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (services.EvidenceTypeNotAllowed, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE),
    (workflow.InvalidTransition, status.HTTP_409_CONFLICT),
    (workflow.NotAllowed, status.HTTP_403_FORBIDDEN),
    (workflow.WorkflowError, status.HTTP_400_BAD_REQUEST),
    (services.ServiceError, status.HTTP_400_BAD_REQUEST),
]


def _flatten(detail: Any, path: str) -> list[tuple[str, Any]]:
    """(dotted path, error) pairs of DRF's nested errors: ``{"files": [{0: [e]}]}`` -> ``("files.0", e)``."""
    if isinstance(detail, dict):
        return [
            pair for key, value in detail.items() for pair in _flatten(value, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(detail, list | tuple):
        return [pair for item in detail for pair in _flatten(item, path)]
    return [(path, detail)]


def _field_errors(detail: Any) -> dict[str, list[dict[str, str]]]:
    """Every error under the field it is about; an item of a list or a nested object by its dotted path."""
    out: dict[str, list[dict[str, str]]] = {}
    for path, error in _flatten(detail, ""):
        out.setdefault(path or "non_field_errors", []).append(
            {"code": str(getattr(error, "code", None) or "invalid"), "message": str(error)}
        )
    return out


def _summary(fields: dict[str, list[dict[str, str]]]) -> str:
    """The one message: the error itself when there is one field, naming an item of a list by its path."""
    if len(fields) != 1:
        return _("Some fields are invalid; see fields.")
    path, errors = next(iter(fields.items()))
    message = errors[0]["message"]
    return f"{path}: {message}" if "." in path else message


def error_body(code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def database_unavailable_message() -> str:
    return _("The database is not reachable at the moment. Nothing was lost; please try again shortly.")


def database_unavailable() -> Response:
    """503 with Retry-After while the database cannot be reached; the next request tries again."""
    return Response(
        error_body("database_unavailable", database_unavailable_message()),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(int(settings.DB_UNAVAILABLE_RETRY_AFTER))},
    )


def _before_domain_errors(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The database down (503), a value out of range (400), a body refused by our parsers (400/413)."""
    request = context.get("request")
    if isinstance(exc, OperationalError | InterfaceError):
        method, path = getattr(request, "method", "?"), getattr(request, "path", "?")
        log.error("database unavailable during %s %s: %s", method, path, exc)
        return database_unavailable()
    if isinstance(exc, OverflowError):
        # A date or number beyond what Python or the database holds, e.g. a naive year-1 time that
        # DRF's DateTimeField converts to UTC (year 0). Fields that bound their range (filters.
        # BoundedDateTimeField) answer this with the field named; this is the net under the others.
        log.warning("value out of range in %s: %s", getattr(request, "path", "?"), exc)
        return Response(
            error_body("out_of_range", _("A date or a number in the request is out of range; check the values sent.")),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, BodyRefused):
        return Response(error_body(exc.code, exc.message, exc.fields()), status=exc.status_code)
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    early = _before_domain_errors(exc, context)
    if early is not None:
        return early
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
        message = _summary(fields) if fields else _("The request is invalid.")
        response.data = error_body("invalid", message, fields)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        message = str(exc.detail) if isinstance(exc.detail, str) else _summary(_field_errors(exc.detail))
        response.data = error_body(codes if isinstance(codes, str) else exc.default_code, message)
    return response


@csrf_exempt
def api_not_found(request: Any, *args: Any, **kwargs: Any) -> Any:
    """404 in the error format for URLs under /api/v1/ that match no endpoint (any method)."""
    from django.http import JsonResponse

    return JsonResponse(
        error_body("not_found", _("No API endpoint at this address; see /api/v1/docs/.")),
        status=status.HTTP_404_NOT_FOUND,
    )
