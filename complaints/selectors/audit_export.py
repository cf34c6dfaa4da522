"""The minimal audit export of one complaint, and the published checkpoints, for outside verification.

The export is what ``complaints/integrity.py`` (the standalone verifier) needs and no more:
the chain's events, the content-hash inputs, the evidence hashes, and the latest stored
checkpoint that covers the chain with its Merkle inclusion proof. Reporter identity is not
in it. The full case file is another export.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from complaints import integrity
from complaints.audit import complaint_content, event_record
from complaints.models import AuditEvent, Checkpoint, Complaint, Evidence


def evidence_export_name(evidence: Evidence) -> str:
    """The file name an exported evidence file gets (``export_audit --evidence-dir``)."""
    return f"{evidence.pk}-{PurePosixPath(evidence.file.name or 'file').name}"


def _embedded_checkpoint(chain: int) -> dict[str, Any] | None:
    """The latest stored checkpoint whose heads include ``chain``, with the inclusion proof of its head."""
    for checkpoint in Checkpoint.objects.order_by("-serial").iterator(chunk_size=1):
        heads = sorted(checkpoint.heads, key=lambda head: int(head[0]))
        index = next((i for i, head in enumerate(heads) if head[0] == chain), None)
        if index is None:
            continue
        _, seq, head_hash = heads[index][:3]
        return {
            "statement": checkpoint.statement,
            "signature": checkpoint.signature,
            "head": {"seq": seq, "hash": head_hash},
            "index": index,
            "proof": integrity.merkle_proof(integrity.heads_leaves(heads), index),
        }
    return None


def case_export(complaint: Complaint) -> dict[str, Any]:
    events = [event_record(e) for e in AuditEvent.objects.filter(complaint=complaint).order_by("seq")]
    content = complaint_content(complaint.pk)
    evidence = list(Evidence.objects.filter(complaint=complaint).order_by("pk"))
    embedded = _embedded_checkpoint(complaint.pk)
    return {
        "format": integrity.EXPORT_FORMAT,
        "version": 1,
        "exported_at": timezone.now().isoformat(),
        "complaint": {
            "code": complaint.code,
            "status": complaint.status,
            "content": content,
            "content_hash": integrity.content_hash(content),
        },
        "evidence": [
            {
                "sha256": e.sha256,
                "size": e.size,
                "content_type": e.content_type,
                "name": e.original_name,
                "file": evidence_export_name(e),
            }
            for e in evidence
        ],
        "events": events,
        "checkpoints": [embedded] if embedded else [],
    }


def published_checkpoints() -> QuerySet[Checkpoint]:
    """Every checkpoint, for the public list (the heads are left to each checkpoint's own file)."""
    return Checkpoint.objects.order_by("-serial").defer("heads")
