"""The case file's layout: the names inside the ZIP archive, its limits, and hashing a stream."""

from __future__ import annotations

import hashlib
import re
from typing import IO

from django.conf import settings

CASE_NAME = "case.json"
MANIFEST_NAME = "manifest.json"
AUDIT_NAME = "audit.json"
PUBLIC_KEY_NAME = "audit-public-key.pem"
README_NAME = "README.txt"
# Files that describe the record of the exporting instance and differ between instances by design.
INSTANCE_FILES = frozenset({AUDIT_NAME, PUBLIC_KEY_NAME})

# Bounds on an archive offered for import (a ZIP can claim anything in its directory).
MAX_MEMBERS = 5_000
CHUNK = 1 << 20


def max_total_bytes() -> int:
    """The most an archive may hold in all, uncompressed (CASE_FILE_MAX_BYTES, default 2 GB)."""
    return int(getattr(settings, "CASE_FILE_MAX_BYTES", 2 * 1024**3))


def max_json_bytes() -> int:
    return 50 * 1024 * 1024


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_name(name: str) -> str:
    """A file name without any path or character a ZIP reader might take for one."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    return cleaned[:150] or "file"


def copy_hashing(src: IO[bytes], dst: IO[bytes] | None) -> tuple[str, int]:
    """Copy ``src`` to ``dst`` (or just read it) in chunks; return its SHA-256 and size."""
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: src.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
        if dst is not None:
            dst.write(chunk)
    return digest.hexdigest(), size
