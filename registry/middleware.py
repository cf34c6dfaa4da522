"""The first middleware: a request id for every log line of the request, one "request" line, HTTP metrics.

The request id is the client's ``X-Request-ID`` when it is a sane token
(``registry.logs.sane_request_id``), else a new one; it is bound to the logging context
for the whole request (so every line logged while it runs carries it, and the Celery tasks
it publishes carry it in their headers: registry/celery.py) and returned in the response's
``X-Request-ID``.

The "request" line and the metrics name the route (the URL pattern's name, e.g.
``complaint-detail``), never the path, which may hold a receipt code or a handle, and
never the client's address.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponseBase

from complaints.metrics import HTTP_METHODS, HTTP_REQUEST_SECONDS, HTTP_REQUESTS
from registry.logs import new_request_id, sane_request_id

log = structlog.get_logger("registry.request")
REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED = "unmatched"


def route_of(request: HttpRequest) -> str:
    """The matched URL pattern's name (or its template when it has none); ``unmatched`` otherwise."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name or match.route or UNMATCHED


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self._record(request, response.status_code, time.perf_counter() - started)
            return response
        finally:
            structlog.contextvars.clear_contextvars()

    @staticmethod
    def _record(request: HttpRequest, status: int, seconds: float) -> None:
        method = request.method if request.method in HTTP_METHODS else "other"
        view = route_of(request)
        HTTP_REQUESTS.labels(method=method, view=view, status=str(status)).inc()
        HTTP_REQUEST_SECONDS.labels(method=method, view=view).observe(seconds)
        log.info("request", method=method, view=view, status=status, duration_ms=round(seconds * 1000, 1))
