"""Reads for the filer's printable receipt: the evidence hashes of a complaint just filed."""

from __future__ import annotations

from complaints.models import Evidence


def receipt_evidence(*, code: str) -> list[tuple[str, str]]:
    """(file name, SHA-256) of each evidence file, in upload order.

    Only for the receipt page, whose session entry proves the visitor has just filed this complaint.
    """
    rows = Evidence.objects.filter(complaint__code=code).order_by("uploaded_at", "id")
    return [(name, sha) for name, sha in rows.values_list("original_name", "sha256")]
