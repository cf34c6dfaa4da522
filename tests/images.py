"""Tiny valid image files made in the test, so no binary fixtures live in the repo."""

from __future__ import annotations

import struct
import zlib


def png_bytes(color: tuple[int, int, int] = (200, 40, 40), width: int = 24, height: int = 16) -> bytes:
    """A real, decodable RGB PNG of one colour."""
    raw = b"".join(b"\x00" + bytes(color) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
