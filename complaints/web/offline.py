"""Offline-first filing: the service worker, and the filing form's ``Idempotency-Key``.

The service worker (``/sw.js``, template complaints/sw.js) keeps two things on the device,
in one versioned cache: the filing page, rendered as for a visitor who is not signed in
(``/file/?offline=1``: no name, no account, no messages), and the static files that page
needs. Nothing else is cached: not staff pages, not API answers, not anything with identity.

A complaint filed without a connection waits in the browser (IndexedDB, see
static/complaints/outbox.js) with an ``Idempotency-Key`` the browser made; it is sent again
until an answer arrives. The key is claimed here as the API claims it
(complaints/api/idempotency.py): first, in the transaction that files the complaint, so a
retry, even a concurrent one, replays the first answer and never files a second complaint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from complaints.api.idempotency import ANONYMOUS_KEY_MIN_LENGTH, ANONYMOUS_OWNER, HEADER, KEY_PATTERN
from complaints.models import Complaint, IdempotencyRecord

# The files the filing page needs offline (app.js loads outbox.js; the worker imports it too).
OFFLINE_ASSETS = (
    "complaints/app.css",
    "complaints/print.css",
    "complaints/app.js",
    "complaints/outbox.js",
    "complaints/favicon.svg",
)
# Raise when the worker's own logic changes in a way the assets' hashes do not show.
WORKER_REVISION = "1"
OFFLINE_QUERY = "offline"  # /file/?offline=1: the copy the worker keeps


def _assets_digest() -> str:
    """A hash of the offline assets' contents: a changed file gives the worker a new cache."""
    digest = hashlib.sha256(WORKER_REVISION.encode())
    for name in OFFLINE_ASSETS:
        path = finders.find(name)
        digest.update(name.encode())
        if isinstance(path, str):
            with open(path, "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()[:16]


@never_cache
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the site root so that its scope covers /file/.

    ``never_cache``: the browser checks for a new worker on every visit instead of keeping an
    old one for a day.
    """
    context = {
        "version": _assets_digest(),
        "page_url": reverse("web-file"),
        "offline_url": f"{reverse('web-file')}?{OFFLINE_QUERY}=1",
        "assets": json.dumps([static(name) for name in OFFLINE_ASSETS]),
        "outbox_url": static("complaints/outbox.js"),
    }
    response = render(request, "complaints/sw.js", context, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def is_offline_copy(request: HttpRequest) -> bool:
    return request.GET.get(OFFLINE_QUERY) == "1"


# --- the filing form's Idempotency-Key ---------------------------------------------


def _owner(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return f"user:{user.pk}" if user is not None and user.is_authenticated else ANONYMOUS_OWNER


def _fingerprint(request: HttpRequest) -> str:
    """SHA-256 of what the form sent: its fields (not the CSRF token) and each file's name, size, hash."""
    fields = {k: request.POST.getlist(k) for k in sorted(request.POST) if k != "csrfmiddlewaretoken"}
    files = {
        k: [[f.name, f.size, getattr(f, "sha256", "")] for f in request.FILES.getlist(k)] for k in sorted(request.FILES)
    }
    canonical = json.dumps({"fields": fields, "files": files}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _refused(message: str, status: int = 400) -> JsonResponse:
    errors = {"__all__": [{"message": message, "code": "idempotency"}]}
    return JsonResponse({"ok": False, "errors": errors}, status=status)


class _NotFiled(Exception):
    """Rolls the claimed key back when the form was refused: the corrected form may use it."""


def file_once(request: HttpRequest, create: Callable[[], tuple[JsonResponse, Complaint | None]]) -> HttpResponse:
    """Run ``create`` at most once per owner and ``Idempotency-Key``; without a key, just run it."""
    key = request.headers.get(HEADER)
    if key is None:
        return create()[0]
    owner = _owner(request)
    if not KEY_PATTERN.match(key) or (owner == ANONYMOUS_OWNER and len(key) < ANONYMOUS_KEY_MIN_LENGTH):
        return _refused(
            _("Use an Idempotency-Key of %(n)s to 255 visible ASCII characters, e.g. a UUID.")
            % {"n": ANONYMOUS_KEY_MIN_LENGTH}
        )
    fingerprint = _fingerprint(request)
    response: JsonResponse | None = None
    claimed = False
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                owner=owner, key=key, request_hash=fingerprint, response_status=0, response_body={}
            )
            claimed = True
            response, complaint = create()
            if complaint is None:
                raise _NotFiled
            body: dict[str, Any] = json.loads(response.content)
            record.response_status = response.status_code
            record.response_body = {**body, "receipt": {**body.get("receipt", {}), "secret": None}}
            record.complaint = complaint
            record.save(update_fields=["response_status", "response_body", "complaint"])
    except _NotFiled:
        assert response is not None
        return response
    except IntegrityError:
        if claimed:  # not the key: something in the filing itself
            raise
        return _replay(IdempotencyRecord.objects.get(owner=owner, key=key), fingerprint)
    return response


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.request_hash != fingerprint:
        message = _(
            "This Idempotency-Key was already used with a different request body; use a new key for a new complaint."
        )
        return _refused(message, status=422)
    response = JsonResponse({**record.response_body, "replayed": True}, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response
