"""Stored files through Django's storage API: written with the transaction, read back as a stream.

Evidence, decision and reply files and generated documents live in the ``default`` storage:
the local folder ``MEDIA_ROOT``, or an S3-compatible bucket when ``S3_BUCKET`` is set
(docs/storage.md). Nothing here knows a path on disk, so every web node reads what any
other wrote. Failures say what happened: a full disk is ``StorageFull`` (507), a bucket that
cannot be reached or refuses us is ``StorageUnavailable`` (503), never a bare 500.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import IO, Any, cast

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from complaints.errors import StorageFull, Unavailable
from complaints.uploads import NO_ROOM

log = logging.getLogger(__name__)


class StorageUnavailable(Unavailable):
    """The file storage (the bucket) cannot be reached or refused the request: HTTP 503, nothing kept."""

    code = "storage_unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "The file storage cannot be reached right now, so nothing was saved. Please try again in a few minutes."
            )
        )


def _is_storage_error(exc: BaseException) -> bool:
    """An error of the S3 client (botocore), which is not an OSError: no connection, access denied, 5xx."""
    return any(cls.__module__.startswith(("botocore.", "boto3.", "s3transfer.")) for cls in type(exc).__mro__)


def _s3_storage(storage: Storage) -> Any:
    """The storage if it is django-storages' S3Storage, else None (without importing boto3 for a local one)."""
    module = sys.modules.get("storages.backends.s3")
    if module is not None and isinstance(storage, module.S3Storage):
        return storage
    return None


# --- files follow the transaction -------------------------------------------------------
# The files stored inside the innermost running ``files_follow_transaction`` block.
_stored: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("files_stored", default=None)


def discard(storage: Storage, name: str) -> None:
    """Delete a stored file; a failure is logged, never raised (it must not mask the first error)."""
    try:
        storage.delete(name)
    except Exception:  # already gone, the folder is unreadable, the bucket is down
        log.exception("could not remove %s after a failed write", name)


@contextlib.contextmanager
def files_follow_transaction() -> Iterator[None]:
    """One transaction, and the files stored during it: if it does not commit, they are deleted.

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
            discard(storage, name)
        raise
    else:
        if parent is not None:
            parent.extend(mine)
    finally:
        _stored.reset(token)


def store_file(fieldfile: FieldFile, filename: str, content: File) -> None:
    """Save ``content`` into ``fieldfile`` (not the row); on failure keep nothing of the attempt.

    A local write that fails leaves an empty or partial file: it is removed. A bucket never
    shows a failed upload, so nothing is asked of it beforehand (one round trip fewer).
    """
    storage = fieldfile.storage
    local = isinstance(storage, FileSystemStorage)
    name = fieldfile.field.generate_filename(fieldfile.instance, filename)
    existed = local and storage.exists(name)
    try:
        fieldfile.save(filename, content, save=False)
    except BaseException as exc:
        if local and not existed and storage.exists(name):
            discard(storage, name)
        if isinstance(exc, OSError) and exc.errno in NO_ROOM:
            log.error("file storage is full: %s", exc)
            raise StorageFull() from exc
        if _is_storage_error(exc):
            log.error("file storage refused a write: %s", exc)
            raise StorageUnavailable() from exc
        raise
    stored = _stored.get()
    if stored is not None:
        stored.append((storage, fieldfile.name or name))


class BucketStream(io.RawIOBase):
    """An object's body read as it arrives from the bucket; ``size`` is the length the bucket gave."""

    def __init__(self, body: Any, size: int) -> None:
        super().__init__()
        self._body = body
        self.size = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._body.read(len(buffer))
        except Exception as exc:
            if _is_storage_error(exc):
                raise StorageUnavailable(_read_failed()) from exc
            raise
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _read_failed() -> str:  # looked up when raised: in the request's language
    return _("The file storage cannot be reached right now. Please try again in a few minutes.")


def open_stored(fieldfile: FieldFile) -> IO[bytes]:
    """The stored bytes as a stream to read once (close it, or hand it to a FileResponse).

    From a bucket this is the object's body as it arrives, never the whole object held in
    memory first (django-storages' ``open`` downloads it all before the first byte).
    A missing file is ``FileNotFoundError`` whatever the storage.
    """
    storage = fieldfile.storage
    name = fieldfile.name or ""
    try:
        s3 = _s3_storage(storage)
        if s3 is None:
            return storage.open(name, "rb")
        from botocore.exceptions import ClientError  # installed with django-storages[s3]
        from storages.utils import clean_name

        key = s3._normalize_name(clean_name(name))
        try:
            got = s3.bucket.Object(key).get()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise FileNotFoundError(f"not in the bucket: {key}") from exc
            raise
        return cast(IO[bytes], BucketStream(got["Body"], int(got["ContentLength"])))
    except Exception as exc:
        if _is_storage_error(exc):
            log.error("file storage refused a read of %s: %s", name, exc)
            raise StorageUnavailable(_read_failed()) from exc
        raise
