"""Evidence intake: size and sniffed-type checks, SHA-256 while streaming, attaching files to a complaint."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import unicodedata
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import filetype
from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.access import Actor
from complaints.audit import audit_append
from complaints.errors import (
    ComplaintClosed,
    EvidenceRejected,
    EvidenceTooLarge,
    EvidenceTypeNotAllowed,
    StorageFull,
)
from complaints.models import Complaint, Evidence
from complaints.services._common import actor_roles, actor_user, lock_complaint, touch_complaint
from complaints.uploads import NO_ROOM

log = logging.getLogger(__name__)

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


# --- files follow the transaction -------------------------------------------------------
# The files stored inside the innermost running ``files_follow_transaction`` block.
_stored: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("evidence_stored", default=None)


def _discard(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:  # already gone, or the folder is unreadable: report, never mask the first error
        log.exception("could not remove %s after a failed write", name)


@contextlib.contextmanager
def files_follow_transaction() -> Iterator[None]:
    """One transaction, and the evidence files stored during it: if it does not commit, they are deleted.

    Nested blocks behave like savepoints: a block that fails deletes its own files; one that
    succeeds hands them to the enclosing block, which deletes them if it fails later. (A
    transaction opened outside every such block and rolled back after this one succeeded
    cannot be seen from here: its files are orphans, referenced by no row.)
    """
    parent = _stored.get()
    mine: list[tuple[Storage, str]] = []
    token = _stored.set(mine)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for storage, name in reversed(mine):
            _discard(storage, name)
        raise
    else:
        if parent is not None:
            parent.extend(mine)
    finally:
        _stored.reset(token)


def _store(evidence: Evidence, filename: str, upload: UploadedFile) -> None:
    """Write the file; on failure remove what the write left (an empty or partial file)."""
    storage = evidence.file.storage
    name = evidence.file.field.generate_filename(evidence, filename)
    existed = storage.exists(name)
    try:
        evidence.file.save(filename, upload, save=False)
    except BaseException as exc:
        if not existed and storage.exists(name):
            _discard(storage, name)
        if isinstance(exc, OSError) and exc.errno in NO_ROOM:
            log.error("evidence storage is full: %s", exc)
            raise StorageFull() from exc
        raise
    stored = _stored.get()
    if stored is not None:
        stored.append((storage, evidence.file.name or name))


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
    _store(evidence, f"{uuid.uuid4().hex}.{inspected.extension}", upload)
    evidence.save(force_insert=True)
    audit_append(
        complaint=complaint,
        action="evidence",
        actor=user,
        actor_label="" if user else "complainant",
        payload={"evidence": evidence.pk, "sha256": sha, "size": size, "content_type": mime, "name": name},
    )
    return evidence


@files_follow_transaction()
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
