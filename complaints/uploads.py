"""Upload handlers that compute SHA-256 while the upload streams in.

Django hands each chunk to the handler as it arrives; we update a hash as we go,
so evidence is never read back whole into memory to be hashed. Uploads too large for
memory are spooled to a temporary file: if its disk is full, the temporary file is
removed and ``StorageFull`` raised (507), never a bare OSError (500). A file that passes
``EVIDENCE_MAX_BYTES`` is not spooled further: what was written is dropped, the rest of it
read past, and its ``size`` stays the size sent, so ``evidence_inspect`` refuses it (413)
while the disk holds at most the limit per file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler

from complaints.errors import StorageFull

# errno values meaning "no room": the disk is full, or a quota is used up.
NO_ROOM = frozenset(code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None)


class _HashingMixin:
    _sha: Any = None
    _head: bytes = b""

    def _start(self) -> None:
        self._sha = hashlib.sha256()
        self._head = b""

    def _update(self, raw_data: bytes) -> None:
        if self._sha is None:
            self._start()
        self._sha.update(raw_data)
        if len(self._head) < 4096:
            self._head += raw_data[: 4096 - len(self._head)]

    def _finish(self, file: UploadedFile | None) -> UploadedFile | None:
        if file is not None and self._sha is not None:
            file.sha256 = self._sha.hexdigest()  # type: ignore[attr-defined]
            file.head = self._head  # type: ignore[attr-defined]
        self._sha = None
        return file


class HashingMemoryUploadHandler(_HashingMixin, MemoryFileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._start()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        result = super().receive_data_chunk(raw_data, start)
        if result is None:  # kept in memory by this handler
            self._update(raw_data)
        return result

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.activated:
            return None
        return self._finish(super().file_complete(file_size))


class HashingTemporaryUploadHandler(_HashingMixin, TemporaryFileUploadHandler):
    @contextlib.contextmanager
    def _disk(self) -> Iterator[None]:
        """A full disk while spooling: drop the temporary file (closing deletes it) and say so."""
        try:
            yield
        except OSError as exc:
            if exc.errno not in NO_ROOM:
                raise
            spool = getattr(self, "file", None)
            if spool is not None:
                with contextlib.suppress(OSError):
                    spool.close()
            raise StorageFull() from exc

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        with self._disk():
            super().new_file(*args, **kwargs)
        self._start()
        self._oversize = False

    _oversize = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self._oversize:
            return None  # past the limit: read, not kept
        if start + len(raw_data) > int(settings.EVIDENCE_MAX_BYTES):
            self._oversize = True
            with self._disk():
                self.file.seek(0)
                self.file.truncate()
            return None
        self._update(raw_data)
        with self._disk():
            return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> UploadedFile | None:
        oversize, self._oversize = self._oversize, False
        with self._disk():
            file = self._finish(super().file_complete(file_size))
        if file is not None and oversize:
            # Its content was dropped and its hash is of a part: only its size (the size sent) is true.
            file.oversize, file.sha256 = True, ""  # type: ignore[attr-defined]
        return file
