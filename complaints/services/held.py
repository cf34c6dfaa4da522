"""Held uploads: files attached to a filing form sent back with an error, kept until it is sent again.

Without JavaScript a browser cannot re-send a file the server asked it to correct the form
around, so the server keeps what it already received (after the same evidence checks as
filing) for ``HELD_UPLOAD_TTL_MINUTES``, in the ``default`` storage under ``held/``. The
form lists each by an unguessable key; only a browser holding the random ``holder`` value
(a cookie) can use or delete them. They are deleted when the complaint is filed, when they
expire, and when the device is forgotten. Nothing here is audited: a held upload belongs to
no complaint, and names nobody.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from complaints.models import HeldUpload
from complaints.services.evidence import evidence_inspect, sanitize_filename
from complaints.services.files import discard, files_follow_transaction, store_file


def holder_hash(holder: str) -> str:
    return hashlib.sha256(holder.encode()).hexdigest()


def new_holder() -> str:
    return secrets.token_urlsafe(24)


def _expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(minutes=settings.HELD_UPLOAD_TTL_MINUTES)


@files_follow_transaction()
def held_upload_create(*, upload: UploadedFile, holder: str) -> HeldUpload:
    """Check ``upload`` as evidence (``EvidenceRejected`` with what to fix) and keep it for the holder."""
    inspected = evidence_inspect(upload)
    held = HeldUpload(
        key=secrets.token_urlsafe(32),
        holder_hash=holder_hash(holder),
        original_name=sanitize_filename(upload.name or "file"),
        size=inspected.size,
        sha256=inspected.sha256,
        content_type=inspected.content_type,
        expires_at=_expiry(),
    )
    upload.seek(0)
    store_file(held.file, f"{uuid.uuid4().hex}.{inspected.extension}", upload)
    held.save(force_insert=True)
    return held


def held_uploads_find(*, keys: Sequence[str], holder: str | None) -> dict[str, HeldUpload]:
    """The holder's unexpired held uploads among ``keys``, by key."""
    if not keys or not holder:
        return {}
    rows = HeldUpload.objects.filter(key__in=list(keys), holder_hash=holder_hash(holder), expires_at__gt=timezone.now())
    return {row.key: row for row in rows}


def held_uploads_refresh(*, keys: Sequence[str], holder: str) -> int:
    """Keep the listed uploads another full term: the filer is still correcting the form."""
    return HeldUpload.objects.filter(key__in=list(keys), holder_hash=holder_hash(holder)).update(expires_at=_expiry())


def _delete(rows: list[HeldUpload]) -> int:
    """Delete the rows now and their files once the deletion commits (a rollback keeps both)."""
    files = [(row.file.storage, row.file.name) for row in rows if row.file.name]
    with transaction.atomic():
        count, _ = HeldUpload.objects.filter(pk__in=[row.pk for row in rows]).delete()
        transaction.on_commit(lambda: _discard_all(files))
    return count


def _discard_all(files: list[tuple[Storage, str]]) -> None:
    for storage, name in files:
        discard(storage, name)


def held_uploads_delete(*, keys: Sequence[str], holder: str | None) -> int:
    """Delete the holder's held uploads among ``keys`` (filed, or removed from the form)."""
    if not keys or not holder:
        return 0
    return _delete(list(HeldUpload.objects.filter(key__in=list(keys), holder_hash=holder_hash(holder))))


def held_uploads_forget(*, holder: str | None) -> int:
    """Delete everything held for this browser ("forget this device")."""
    if not holder:
        return 0
    return _delete(list(HeldUpload.objects.filter(holder_hash=holder_hash(holder))))


def held_uploads_purge(*, now: datetime | None = None) -> int:
    """Delete every expired held upload and its file (housekeeping). Safe to run twice."""
    rows = list(HeldUpload.objects.filter(expires_at__lte=now or timezone.now())[:1000])
    return _delete(rows) if rows else 0


@dataclass
class Opened:
    uploads: list[UploadedFile] = field(default_factory=list)
    # Keys whose file is gone or no longer has the bytes that were checked: to be attached again.
    lost: list[str] = field(default_factory=list)


def _open(held: HeldUpload) -> UploadedFile | None:
    """The held file as an upload to file as evidence, hashed again from its stored bytes."""
    try:
        stored = held.file.storage.open(held.file.name or "", "rb")
    except OSError:
        return None
    hasher, head = hashlib.sha256(), b""
    for chunk in stored.chunks():
        hasher.update(chunk)
        if len(head) < 4096:
            head += chunk[: 4096 - len(head)]
    if hasher.hexdigest() != held.sha256:
        stored.close()
        return None
    stored.seek(0)
    upload = UploadedFile(stored, name=held.original_name, content_type=held.content_type, size=held.size)
    # Read by evidence_inspect as the streaming upload handler's hash: the file is not hashed twice.
    upload.sha256, upload.head = held.sha256, head  # type: ignore[attr-defined]
    return upload


@contextlib.contextmanager
def held_uploads_opened(*, keys: Sequence[str], holder: str | None) -> Iterator[Opened]:
    """The holder's held uploads among ``keys`` opened for filing, in order; closed afterwards."""
    found = held_uploads_find(keys=keys, holder=holder)
    opened = Opened()
    try:
        for key in keys:
            upload = _open(found[key]) if key in found else None
            if upload is None:
                opened.lost.append(key)
            else:
                opened.uploads.append(upload)
        yield opened
    finally:
        for upload in opened.uploads:
            upload.close()
