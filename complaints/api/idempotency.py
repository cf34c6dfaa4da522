"""``Idempotency-Key`` for POST /complaints/: a retried filing never creates a second complaint.

The record row (unique per owner and key) is inserted *first*, inside the transaction
that files the complaint. A concurrent request with the same key blocks on that unique
index until the first commits, then gets an IntegrityError and replays the stored
answer; if the first fails, its row rolls back with it and the retry proceeds.

Replays return the original status and body with ``secret`` set to null and
``secret_redacted: true``: only the secret's hash is ever stored, so the plaintext
cannot be repeated. A client that lost the first answer has the receipt code and can
ask a reviewer for help; it never gets a duplicate complaint.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.models import ApiKey, IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with a different request body; use a new key."


# An anonymous caller is not told apart by its address: the record would tie the address to
# the complaint for IDEMPOTENCY_KEEP_HOURS. Its key, long enough not to be guessed, is the owner.
ANONYMOUS_OWNER = "anon"
ANONYMOUS_KEY_MIN_LENGTH = 16


def request_owner(request: Request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.prefix}"
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return ANONYMOUS_OWNER


def request_fingerprint(request: Request) -> str:
    """SHA-256 of the request body's meaning: fields, and each file's name, size and hash."""
    data: Any = request.data
    if hasattr(data, "getlist"):
        fields = {k: data.getlist(k) for k in sorted(data) if k not in request.FILES}
        files = {
            k: [[f.name, f.size, getattr(f, "sha256", "")] for f in request.FILES.getlist(k)]
            for k in sorted(request.FILES)
        }
        data = {"fields": fields, "files": files}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise serializers.ValidationError(
            {HEADER: [_("Use 1 to 255 visible ASCII characters, e.g. a UUID.")]}, code="invalid"
        )
    return key


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used with a different request body; use a new key for a new complaint.")
        )
    body = dict(record.response_body)
    return Response(body, status=record.response_status, headers={"Idempotent-Replayed": "true"})


def redacted(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "secret": None, "secret_redacted": True}


def run_idempotent(request: Request, create: Callable[[], tuple[Response, Any]]) -> Response:
    """Run ``create`` (returning the response and the complaint) at most once per owner and key."""
    key = idempotency_key(request)
    if key is None:
        return create()[0]
    owner, fingerprint = request_owner(request), request_fingerprint(request)
    if owner == ANONYMOUS_OWNER and len(key) < ANONYMOUS_KEY_MIN_LENGTH:
        raise serializers.ValidationError(
            {
                HEADER: [
                    _("Without an API key, use an Idempotency-Key of at least %(n)s characters, e.g. a UUID.")
                    % {"n": ANONYMOUS_KEY_MIN_LENGTH}
                ]
            },
            code="invalid",
        )
    claimed = False
    try:
        with transaction.atomic():
            # The key is claimed first: a concurrent request with the same key waits here on
            # the unique (owner, key) index until this transaction ends, then replays.
            record = IdempotencyRecord.objects.create(
                owner=owner, key=key, request_hash=fingerprint, response_status=0, response_body={}
            )
            claimed = True
            response, complaint = create()
            record.response_status = response.status_code
            record.response_body = redacted(dict(response.data or {}))
            record.complaint = complaint
            record.save(update_fields=["response_status", "response_body", "complaint"])
    except IntegrityError:
        if claimed:  # not the key: something in the filing itself
            raise
        # The key was taken: the transaction is rolled back (no savepoint needed), read the first answer.
        return _replay(IdempotencyRecord.objects.get(owner=owner, key=key), fingerprint)
    return response
