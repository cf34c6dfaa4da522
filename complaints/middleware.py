"""Refusals before a view runs, and outages answered as such: NUL, JSON limits, 503 and 507.

- A NUL character in the query string (names and values) or a web form's fields answers
  400 naming the field: PostgreSQL cannot store or even compare it. In the path, 404. In
  a request header (a cookie too: the session key is looked up), 400 naming the header,
  from :class:`HeaderNulMiddleware`, which runs before anything reads the session.
- JSON bodies on /api/ are checked with ``api/parsers.py`` (size before reading, nesting
  before parsing, NUL), so every API view gets the limits whatever parser it declares.
- The database unreachable (``OperationalError``/``InterfaceError`` out of a view) answers
  503 with ``Retry-After``; nothing is cached, so the next request after the database is
  back is served normally (Django drops the broken connection at the end of the request).
- ``Unavailable`` errors (``StorageFull``: no room for uploads) answer 507.
- A web form's multipart body declared larger than ``multipart_limit()`` answers 413 before
  it is read; what Django cannot parse in a form (a file name over its part-header limit,
  too many fields, text over ``DATA_UPLOAD_MAX_MEMORY_SIZE``) answers with what to fix,
  not a bare "Bad Request (400)" (``api/parsers.form_refused``).

/api/ gets the API's error format; web pages a plain page (or, for app.js's requests that
accept JSON, ``{"ok": false, "errors": {"__all__": [...]}}``, the web form's error shape).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from complaints.api.errors import api_not_found, database_unavailable_message, error_body
from complaints.api.parsers import (
    NUL,
    BodyRefused,
    declared_length,
    form_refused,
    loads,
    multipart_limit,
    nul_refused,
    too_large,
    upload_too_large,
)
from complaints.errors import StorageFull, Unavailable

log = logging.getLogger(__name__)

JSON_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def refusal(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    template: str | None = None,
    headers: dict[str, str] | None = None,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """One refusal in the shape the caller reads: the API's error body, app.js's JSON, or a page."""
    response: HttpResponse
    if is_api(request):
        fields = {field: [{"code": code, "message": message}]} if field else {}
        response = JsonResponse(error_body(code, message, fields), status=status)
    elif wants_json(request):
        item = {"code": code, "message": message}
        response = JsonResponse({"ok": False, "errors": {field or "__all__": [item]}}, status=status)
    elif template:
        html = render_to_string(template, {"message": message, **(context or {})}, request=request)
        response = HttpResponse(html, status=status)
    else:
        response = HttpResponse(_plain_page(message), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _plain_page(message: str) -> str:
    """A page that needs nothing (no database, no template): the refusal in the site's language."""
    return format_html(
        '<!doctype html><html lang="{}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title></head>'
        '<body><main><h1>{}</h1><p role="alert">{}</p><p><a href="/">{}</a></p></main></body></html>',
        (get_language() or settings.LANGUAGE_CODE)[:2],
        _("The request was refused"),
        _("The request was refused"),
        message,
        _("Home page"),
    )


def _first_nul(pairs: Iterable[tuple[str, list[str]]]) -> str | None:
    for name, values in pairs:
        if NUL in name or any(NUL in value for value in values if isinstance(value, str)):
            return name
    return None


def _first_nul_header(request: HttpRequest) -> str | None:
    """The first header holding a NUL (``Cookie`` for a cookie): the session and API key are looked up."""
    return next((name for name, value in request.headers.items() if NUL in str(value)), None)


class HeaderNulMiddleware:
    """400 for a NUL in a header or cookie, before the session or an API key is looked up with it.

    Right after LocaleMiddleware (the refusal speaks the request's language) and before every
    middleware that reads ``request.user``: a session key holding a NUL made PostgreSQL fail (500).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = _first_nul_header(request)
        if name is not None:
            refused = nul_refused(name)
            return refusal(
                request, status=refused.status_code, code=refused.code, message=refused.message, field=refused.field
            )
        return self.get_response(request)


class RobustnessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info:  # no address holds a NUL: not found, before any lookup reaches the database
            if is_api(request):
                return api_not_found(request)
            raise Http404
        try:
            refused = self._check(request)
        except Unavailable as exc:  # a form's upload spooled onto a full disk
            return self._unavailable(request, exc)
        if refused is not None:
            return refusal(
                request, status=refused.status_code, code=refused.code, message=refused.message, field=refused.field
            )
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            data: Any = getattr(response, "data", None)
            if is_api(request) and _is_error_body(data):
                # An API error rendered by the renderer the view negotiated (the schema's YAML): JSON, always.
                return _with_headers(JsonResponse({"error": data["error"]}, status=response.status_code), response)
            if response.status_code == 405:
                return method_not_allowed(request, response)
        return response

    def _check(self, request: HttpRequest) -> BodyRefused | None:
        name = _first_nul(request.GET.lists())
        if name is not None:
            return nul_refused(name)
        content_type = request.content_type or ""
        if is_api(request):
            # Multipart on /api/ is left to the view, which checks Content-Length before reading.
            if request.method in JSON_METHODS and (
                content_type == "application/json" or content_type.endswith("+json")
            ):
                return self._check_json(request)
            return None
        if request.method == "POST" and content_type in FORM_TYPES:
            declared = declared_length(request.META)
            if content_type == "multipart/form-data" and declared > multipart_limit():  # before reading the body
                return upload_too_large(declared, multipart_limit())
            try:
                name = _first_nul(request.POST.lists())
            except (MultiPartParserError, SuspiciousOperation) as exc:  # Django's answer would be a bare 400
                return form_refused(exc)
            if name is not None:
                return nul_refused(name)
        return None

    def _check_json(self, request: HttpRequest) -> BodyRefused | None:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > int(settings.API_JSON_MAX_BYTES):
            return too_large(declared)
        if not declared:
            return None
        try:
            loads(request.body, (request.content_params or {}).get("charset") or settings.DEFAULT_CHARSET)
        except RequestDataTooBig:  # DATA_UPLOAD_MAX_MEMORY_SIZE below API_JSON_MAX_BYTES
            return too_large(declared)
        except BodyRefused as exc:
            return exc
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            log.error("database unavailable during %s %s: %s", request.method, request.path, exception)
            return database_unavailable(request)
        if isinstance(exception, Unavailable):
            return self._unavailable(request, exception)
        return None

    def _unavailable(self, request: HttpRequest, exc: Unavailable) -> HttpResponse:
        if isinstance(exc, StorageFull):
            return refusal(request, status=507, code=exc.code, message=exc.message, template="507.html")
        return unavailable(request, code=exc.code, message=exc.message)


def _is_error_body(data: Any) -> bool:
    """The API's error body (to which an HTML renderer may have added its ``status_code``)."""
    return isinstance(data, dict) and isinstance(data.get("error"), dict) and set(data) <= {"error", "status_code"}


def _with_headers(new: HttpResponse, old: HttpResponse) -> HttpResponse:
    for name in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
        if name in old:
            new[name] = old[name]
    return new


def method_not_allowed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A 405 that Django (``require_GET``/``require_POST``) answers with an empty body, or another
    renderer with its own (the schema's YAML, the docs' text): the refusal in the caller's shape."""
    allowed = response.get("Allow", "")
    message = _("This address does not accept %(method)s requests; use %(allowed)s.") % {
        "method": request.method,
        "allowed": allowed or "GET",
    }
    return refusal(
        request,
        status=405,
        code="method_not_allowed",
        message=message,
        headers={"Allow": allowed} if allowed else None,
    )


def unavailable(request: HttpRequest, *, code: str, message: str) -> HttpResponse:
    """503 with Retry-After (a page that needs no database on the web)."""
    retry = int(settings.DB_UNAVAILABLE_RETRY_AFTER)
    return refusal(
        request,
        status=503,
        code=code,
        message=message,
        template="503.html",
        headers={"Retry-After": str(retry)},
        context={"retry_after": retry},
    )


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the same answer on the API and the web while the database is down."""
    return unavailable(request, code="database_unavailable", message=database_unavailable_message())
