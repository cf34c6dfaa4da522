"""Evidence intake: size and sniffed-type checks, SHA-256 while streaming, attaching files to a complaint."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.access import Actor
from complaints.audit import audit_append
from complaints.errors import ComplaintClosed, EvidenceRejected, EvidenceTooLarge, EvidenceTypeNotAllowed
from complaints.models import Complaint, Evidence
from complaints.services._common import actor_roles, actor_user, lock_complaint, touch_complaint

ALLOWED_EVIDENCE_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/3gpp",
    "video/x-matroska",
    "audio/mpeg",
    "audio/ogg",
    "audio/mp4",
    "audio/x-wav",
    "audio/wav",
    "audio/aac",
    "audio/x-flac",
    "audio/amr",
    "application/pdf",
}


def sanitize_filename(name: str) -> str:
    """Keep a readable base name: no path, no control characters, bounded length."""
    base = PurePath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "_", base).strip(" .")
    return (base or "file")[:150]


def _digest(upload: UploadedFile) -> tuple[str, bytes]:
    """SHA-256 and the first bytes: from the streaming upload handler, or chunk by chunk."""
    sha, head = getattr(upload, "sha256", None), getattr(upload, "head", None)
    if sha and head is not None:
        return sha, head
    hasher, head = hashlib.sha256(), b""
    upload.seek(0)
    for chunk in upload.chunks():
        hasher.update(chunk)
        if len(head) < 4096:
            head += chunk[: 4096 - len(head)]
    upload.seek(0)
    upload.sha256, upload.head = hasher.hexdigest(), head  # type: ignore[attr-defined]
    return hasher.hexdigest(), head


@dataclass(frozen=True)
class InspectedUpload:
    name: str
    size: int
    sha256: str
    content_type: str
    extension: str


def evidence_inspect(upload: UploadedFile) -> InspectedUpload:
    """Check size and the type sniffed from the bytes; raise EvidenceRejected with what to fix."""
    name = sanitize_filename(upload.name or "file")
    size = upload.size or 0
    if size > settings.EVIDENCE_MAX_BYTES:
        raise EvidenceTooLarge(
            _("“%(name)s” is %(size)s MB; the limit is %(limit)s MB per file.")
            % {"name": name, "size": round(size / 2**20, 1), "limit": settings.EVIDENCE_MAX_BYTES // 2**20},
            "files",
        )
    if size == 0:
        raise EvidenceRejected(_("“%(name)s” is empty.") % {"name": name}, "files")
    sha, head = _digest(upload)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if kind is None or mime not in ALLOWED_EVIDENCE_TYPES:
        raise EvidenceTypeNotAllowed(
            _("“%(name)s” is not a photo, video, audio recording or PDF (its content looks like %(kind)s).")
            % {"name": name, "kind": mime or _("an unknown type")},
            "files",
        )
    return InspectedUpload(name, size, sha, mime, kind.extension)


def attach_upload(*, complaint: Complaint, upload: UploadedFile, user: Any) -> Evidence:
    inspected = evidence_inspect(upload)
    name, size, sha, mime = inspected.name, inspected.size, inspected.sha256, inspected.content_type
    evidence = Evidence(
        complaint=complaint,
        sha256=sha,
        size=size,
        content_type=mime,
        original_name=name,
        uploaded_by=user,
    )
    upload.seek(0)
    evidence.file.save(f"{uuid.uuid4().hex}.{inspected.extension}", upload, save=False)
    evidence.save(force_insert=True)
    audit_append(
        complaint=complaint,
        action="evidence",
        actor=user,
        actor_label="" if user else "complainant",
        payload={"evidence": evidence.pk, "sha256": sha, "size": size, "content_type": mime, "name": name},
    )
    return evidence


@transaction.atomic
def evidence_attach(*, complaint: Complaint, upload: UploadedFile, actor: Actor) -> Evidence:
    """Add evidence to an existing complaint (the complainant, or staff in scope)."""
    complaint = lock_complaint(complaint, None)
    if not actor_roles(actor, complaint):
        raise workflow.NotAllowed(_("You may not add evidence to this complaint."))
    if complaint.status in workflow.TERMINAL_STATES:
        raise ComplaintClosed(_("This complaint is closed; evidence can no longer be added."))
    evidence = attach_upload(complaint=complaint, upload=upload, user=actor_user(actor))
    touch_complaint(complaint)
    return evidence
