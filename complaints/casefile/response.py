"""A case file as an HTTP download: written to a spooled temporary file, served as an attachment (web and API)."""

from __future__ import annotations

import tempfile

from django.http import FileResponse

from complaints.casefile.export import CaseFile, case_file_write


def case_file_response(built: CaseFile) -> FileResponse:
    """The archive (in memory up to 16 MB, on disk past that), with the SHA-256 of its case.json in a header."""
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)  # noqa: SIM115 - FileResponse closes it
    manifest = case_file_write(built, spool)
    spool.seek(0)
    response = FileResponse(
        spool, as_attachment=True, filename=f"case-{built.code}.zip", content_type="application/zip"
    )
    response["X-Case-File-SHA256"] = manifest["case"]["sha256"]
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
