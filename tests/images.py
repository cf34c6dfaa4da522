"""Tiny valid image files made in the test, so no binary fixtures live in the repo."""

from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib

from PIL import Image


def png_bytes(color: tuple[int, int, int] = (200, 40, 40), width: int = 24, height: int = 16) -> bytes:
    """A real, decodable RGB PNG of one colour."""
    raw = b"".join(b"\x00" + bytes(color) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _image(fmt: str, size: tuple[int, int] = (32, 24), color: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    """A real, decodable JPEG (made with Pillow)."""
    return _image("JPEG", size)


def gif_bytes() -> bytes:
    return _image("GIF")


def webp_bytes() -> bytes:
    return _image("WEBP")


def png_bomb_bytes(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG that claims ``width`` x ``height`` one-bit pixels in a few dozen bytes: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)  # far too little for the claimed size: only the header is ever read
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf_bytes(text: str = "Evidence", pages: int = 1) -> bytes:
    """A real one-page PDF with a correct cross-reference table (``pages=0``: a valid PDF with no page)."""
    stream = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>" if pages else b"<< /Type /Pages /Kids [] /Count 0 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_bytes(brand: bytes = b"isom") -> bytes:
    """A structurally valid MP4 (ISO BMFF): ftyp, moov with an mvhd, and a small mdat."""
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x02\x00" + b"isomiso2mp41")
    mvhd = _box(b"mvhd", b"\x00" * 4 + struct.pack(">IIII", 0, 0, 1000, 0) + b"\x00" * 80)
    return ftyp + _box(b"moov", mvhd) + _box(b"mdat", b"\x00" * 64)


def webm_bytes() -> bytes:
    """An EBML header (DocType webm) followed by an empty Segment."""
    doctype = b"\x42\x82\x84webm"
    header = b"\x42\x86\x81\x01" + b"\x42\xf7\x81\x01" + doctype + b"\x42\x87\x81\x04" + b"\x42\x85\x81\x02"
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header)]) + header + b"\x18\x53\x80\x67\x80"


def wav_bytes(samples: int = 800) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * samples)
    return out.getvalue()


def zip_bomb_bytes(inflated: int = 20 * 2**20) -> bytes:
    """A zip whose one member inflates to ``inflated`` bytes of zeros (about a thousandth of that on the wire)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("zeros.bin", b"\x00" * inflated)
    return out.getvalue()


def elf_bytes() -> bytes:
    """The start of a 64-bit Linux executable (ELF header)."""
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 0x3E, 1) + b"\x00" * 200


def pe_bytes() -> bytes:
    """The start of a Windows executable (MZ header pointing at a PE signature)."""
    head = bytearray(b"MZ" + b"\x90\x00" * 29 + b"\x00" * 2)
    head[0x3C:0x40] = struct.pack("<I", 0x40)
    return bytes(head) + b"PE\x00\x00" + b"\x00" * 200
