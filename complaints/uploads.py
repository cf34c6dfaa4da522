"""Upload handlers that compute SHA-256 while the upload streams in.

Django hands each chunk to the handler as it arrives; we update a hash as we go,
so evidence is never read back whole into memory to be hashed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler


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
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._start()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> UploadedFile | None:
        return self._finish(super().file_complete(file_size))
