"""Stored files as HTTP answers, after the caller's permission check: streamed by the app, never a link.

Every download of evidence, a decision or reply file or a generated document comes here
once its view has decided the user may have it. The bytes are read through the storage
API (``services.files.open_stored``): from the local folder, or streamed from the bucket
as they arrive, so a file is never held whole in memory and no bucket URL is handed out.
(Short-lived signed URLs could replace the streaming for large files: see docs/storage.md.)
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _

from complaints.models import Evidence, EvidenceCopyState
from complaints.services.evidence import EXTENSIONS
from complaints.services.files import open_stored

log = logging.getLogger(__name__)

BLOCK_SIZE = 64 * 1024


def stored_file_response(fieldfile: FieldFile, **kwargs: Any) -> FileResponse:
    """A ``FileResponse`` over the stored file (kwargs as for ``FileResponse``), with its length."""
    stream = open_stored(fieldfile)
    response = FileResponse(stream, **kwargs)
    # 64 KiB reads, not Django's 4 KiB: a 40 MiB object from a bucket streams in ~0.1 s instead of ~0.3 s.
    response.block_size = BLOCK_SIZE
    size = getattr(stream, "size", None)  # a bucket's stream cannot seek: it says its length
    if not response.has_header("Content-Length") and isinstance(size, int):
        response["Content-Length"] = str(size)
    return response


def evidence_copy_name(evidence: Evidence) -> str:
    """The name a stripped copy is served under: never the uploaded name (it may name a person or a place)."""
    extension = EXTENSIONS.get(evidence.public_content_type, ("bin",))[0]
    return f"evidence-{evidence.public_sha256[:16]}.{extension}"


def evidence_copy_unavailable(evidence: Evidence) -> tuple[int, str] | None:
    """Why the stripped copy cannot be served, as (HTTP status, message): 409 while it is made, 404 if there is none."""
    state = evidence.public_state
    if state == EvidenceCopyState.READY and evidence.public_file:
        return None
    if state == EvidenceCopyState.PENDING:
        return 409, _("The copy of this file without its metadata is being prepared. Try again in a minute.")
    if state == EvidenceCopyState.FAILED or state == EvidenceCopyState.READY:
        return 404, _("No copy of this file without its metadata could be made, so it is not shown.")
    return 404, _("There is no copy of this file without its metadata: files of this type are never published.")


def _refusal(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def evidence_copy_response(
    evidence: Evidence, *, as_attachment: bool = False, cache_control: str = "private, max-age=300"
) -> HttpResponseBase:
    """The stripped copy of ``evidence`` (``public_file``), never its original: after the caller's permission check.

    While the copy is being made: 409 with a message saying so; when there is none (a type
    that is never published, or a file that could not be read): 404. The answer carries the
    copy's SHA-256 (``X-Content-SHA256``, ``Repr-Digest``) and may not run anything.
    """
    refused = evidence_copy_unavailable(evidence)
    if refused is not None:
        return _refusal(*refused)
    try:
        response = stored_file_response(
            evidence.public_file,
            content_type=evidence.public_content_type,
            as_attachment=as_attachment,
            filename=evidence_copy_name(evidence),
        )
    except FileNotFoundError:
        log.error("evidence %s: its stripped copy is missing from the storage", evidence.pk)
        return _refusal(404, _("No copy of this file without its metadata could be made, so it is not shown."))
    digest = base64.b64encode(bytes.fromhex(evidence.public_sha256)).decode()
    response["X-Content-SHA256"] = evidence.public_sha256
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    response["Cache-Control"] = cache_control
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
