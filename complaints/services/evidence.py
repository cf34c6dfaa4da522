"""Evidence intake: size, sniffed type and content checks, SHA-256 while streaming, attaching files to a complaint.

A file is accepted only if its bytes are what its first bytes claim: images are decoded in
full with Pillow (at most ``EVIDENCE_MAX_IMAGE_PIXELS``; a decompression bomb is refused
from its header), PDFs must open with pypdf and have a page, and video and audio files
must hold together as containers (ISO BMFF boxes, an EBML header, RIFF/WAVE, Ogg, FLAC,
MP3, ADTS, AMR). Archives and programs are refused by name. The name kept for a file has
no path, no control or bidirectional-override character, and ends with the extension of
the type read from its bytes (``photo\u202egpj.exe`` holding a JPEG is ``photogpj.exe.jpg``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import struct
import unicodedata
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import filetype
import pypdf
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from complaints import workflow
from complaints.access import Actor
from complaints.audit import audit_append
from complaints.errors import (
    ComplaintClosed,
    EvidenceRejected,
    EvidenceTooLarge,
    EvidenceTypeNotAllowed,
)
from complaints.models import Complaint, Evidence, EvidenceCopyState
from complaints.services._common import actor_roles, actor_user, lock_complaint, touch_complaint
from complaints.services.evidence_copies import copy_dispatch, copy_state_at_intake
from complaints.services.files import files_follow_transaction as files_follow_transaction  # its old home
from complaints.services.files import store_file
from complaints.sizes import over_limit

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


# Extensions that name each allowed type (the first is the one given to a name without one).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/jpeg": ("jpg", "jpeg", "jpe", "jfif"),
    "image/png": ("png",),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "image/heic": ("heic", "heif"),
    "image/heif": ("heif", "heic"),
    "video/mp4": ("mp4", "m4v"),
    "video/quicktime": ("mov", "qt"),
    "video/webm": ("webm",),
    "video/3gpp": ("3gp", "3gpp"),
    "video/x-matroska": ("mkv",),
    "audio/mpeg": ("mp3",),
    "audio/ogg": ("ogg", "oga", "opus"),
    "audio/mp4": ("m4a", "mp4"),
    "audio/x-wav": ("wav",),
    "audio/wav": ("wav",),
    "audio/aac": ("aac",),
    "audio/x-flac": ("flac",),
    "audio/amr": ("amr",),
    "application/pdf": ("pdf",),
}
MEDIA_EXTENSIONS = frozenset(ext for names in EXTENSIONS.values() for ext in names)
NAME_MAX_LENGTH = 150
# Bidirectional controls: U+202E turns "photo\u202egpj.exe" into "photoexe.jpg" on screen.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def sanitize_filename(name: str) -> str:
    """Keep a readable base name: no path, no control or bidi characters, bounded length."""
    base = PurePath(name.replace("\\", "/")).name
    base = BIDI_CONTROLS.sub("", unicodedata.normalize("NFC", base))
    base = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "_", base).strip(" .")
    return (base or "file")[:NAME_MAX_LENGTH]


def evidence_name(name: str, content_type: str) -> str:
    """The name a file is kept and served under: sanitised, ending with its type's extension.

    A media extension naming another type is replaced (``scan.png`` holding a JPEG is
    ``scan.jpg``); any other ending is kept and the extension appended (``photogpj.exe.jpg``),
    so the name shows what it was called and what it is.
    """
    name = sanitize_filename(name)
    allowed = EXTENSIONS.get(content_type)
    if not allowed:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and ext.lower() in allowed:
        return name
    if dot and stem and ext.lower() in MEDIA_EXTENSIONS:
        name = stem
    suffix = "." + allowed[0]
    return name[: NAME_MAX_LENGTH - len(suffix)].rstrip(" .") + suffix


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


ARCHIVE_TYPES = frozenset(
    {
        "application/zip",
        "application/x-rar-compressed",
        "application/x-7z-compressed",
        "application/gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-tar",
        "application/zstd",
        "application/x-lzip",
        "application/x-lz4",
        "application/x-brotli",
        "application/x-compress",
        "application/x-unix-archive",
        "application/vnd.ms-cab-compressed",
        "application/epub+zip",
    }
)
PROGRAM_TYPES = frozenset(
    {
        "application/x-executable",
        "application/x-msdownload",
        "application/x-deb",
        "application/x-rpm",
        "application/wasm",
        "application/x-google-chrome-extension",
        "application/x-shockwave-flash",
    }
)


def evidence_inspect(upload: UploadedFile) -> InspectedUpload:
    """Check size, the type sniffed from the bytes and the content; raise EvidenceRejected with what to fix.

    The result is kept on the upload: a filing checks every file before it stores any, then
    stores them, and an image is decoded once.
    """
    cached = getattr(upload, "evidence_inspected", None)
    if isinstance(cached, InspectedUpload):
        return cached
    name = sanitize_filename(upload.name or "file")
    size = upload.size or 0
    if size > settings.EVIDENCE_MAX_BYTES:
        raise EvidenceTooLarge(
            _("“%(name)s” is %(size)s MB; the limit is %(limit)s MB per file.")
            % {"name": name, **over_limit(size, int(settings.EVIDENCE_MAX_BYTES))},
            "files",
        )
    if size == 0:
        raise EvidenceRejected(_("“%(name)s” is empty.") % {"name": name}, "files")
    sha, head = _digest(upload)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in ARCHIVE_TYPES:
        raise EvidenceTypeNotAllowed(
            _(
                "“%(name)s” is an archive (%(kind)s). Archives are not accepted: unpack it and attach "
                "the photos, videos, recordings or PDFs themselves."
            )
            % {"name": name, "kind": mime},
            "files",
        )
    if mime in PROGRAM_TYPES:
        raise EvidenceTypeNotAllowed(
            _("“%(name)s” is a program (%(kind)s), not a photo, video, audio recording or PDF.")
            % {"name": name, "kind": mime},
            "files",
        )
    if kind is None or mime not in ALLOWED_EVIDENCE_TYPES:
        raise EvidenceTypeNotAllowed(
            _("“%(name)s” is not a photo, video, audio recording or PDF (its content looks like %(kind)s).")
            % {"name": name, "kind": mime or _("an unknown type")},
            "files",
        )
    check_content(upload, mime, name)
    inspected = InspectedUpload(evidence_name(name, mime), size, sha, mime, EXTENSIONS[mime][0])
    upload.evidence_inspected = inspected  # type: ignore[attr-defined]
    return inspected


# --- content checks -------------------------------------------------------------------
# Each reads the upload (seekable, at most EVIDENCE_MAX_BYTES) and raises ``Damaged`` if its
# bytes do not hold together as the type its first bytes claim.


class Damaged(Exception):
    """The content does not hold together as the sniffed type (the reason is for the log)."""


class PdfPassword(Exception):
    """A PDF that opens only with a password."""


class NoPages(Exception):
    """A well-formed PDF without a page."""


FORMAT_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "video/mp4": "MP4",
    "video/quicktime": "QuickTime (MOV)",
    "video/webm": "WebM",
    "video/3gpp": "3GP",
    "video/x-matroska": "Matroska (MKV)",
    "audio/mpeg": "MP3",
    "audio/ogg": "Ogg",
    "audio/mp4": "M4A",
    "audio/x-wav": "WAV",
    "audio/wav": "WAV",
    "audio/aac": "AAC",
    "audio/x-flac": "FLAC",
    "audio/amr": "AMR",
    "application/pdf": "PDF",
}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
MAX_BOXES = 100_000  # top-level boxes walked in an MP4/MOV/HEIC (a fragmented hour of video has ~7,200)


def check_content(upload: UploadedFile, mime: str, name: str) -> None:
    """Raise EvidenceRejected (what is wrong, what to do) unless the bytes are really of type ``mime``."""
    kind = FORMAT_NAMES.get(mime, mime)
    try:
        if mime in PILLOW_FORMATS:
            _check_image(upload, PILLOW_FORMATS[mime], name, kind)
        else:
            check = CONTAINER_CHECKS.get(mime)
            if check is not None:
                upload.seek(0)
                check(upload, upload.size or 0)
    except Damaged as exc:
        log.info("refused %s as damaged %s: %s", name, mime, exc)
        if mime != "application/pdf" and _looks_like_text(_read_at(upload, 4, 1024)):
            raise _not_really(name, kind) from exc
        raise EvidenceRejected(
            _("“%(name)s” cannot be read as %(kind)s: the file is damaged or incomplete. Send the original file again.")
            % {"name": name, "kind": kind},
            "files",
        ) from exc
    except PdfPassword as exc:
        raise EvidenceRejected(
            _("“%(name)s” is a password-protected PDF, which reviewers could not open. Send a copy without a password.")
            % {"name": name},
            "files",
        ) from exc
    except NoPages as exc:
        raise EvidenceRejected(
            _("“%(name)s” is a PDF without any pages. Send the document itself.") % {"name": name}, "files"
        ) from exc
    finally:
        upload.seek(0)


def _looks_like_text(data: bytes) -> bool:
    """Mostly printable ASCII (HTML, a script) behind a binary type's first bytes: a disguise, not damage."""
    printable = sum(1 for b in data if 32 <= b < 127 or b in b"\t\r\n")
    return len(data) >= 16 and printable >= 0.95 * len(data)


def _not_really(name: str, kind: str) -> EvidenceTypeNotAllowed:
    return EvidenceTypeNotAllowed(
        _(
            "“%(name)s” begins like a %(kind)s file, but its content is not %(kind)s. "
            "Send a real photo, video, audio recording or PDF."
        )
        % {"name": name, "kind": kind},
        "files",
    )


def _pixel_limit_refusal(name: str) -> EvidenceTooLarge:
    limit = int(settings.EVIDENCE_MAX_IMAGE_PIXELS)
    return EvidenceTooLarge(
        _("“%(name)s” has too many pixels: the limit is %(limit)s megapixels per image. Send a smaller photo.")
        % {"name": name, "limit": f"{limit / 1_000_000:g}"},
        "files",
    )


def _check_image(upload: UploadedFile, fmt: str, name: str, kind: str) -> None:
    """Decode the whole image with Pillow: verify(), then load() a second opening (verify spends the first)."""
    limit = int(settings.EVIDENCE_MAX_IMAGE_PIXELS)
    Image.MAX_IMAGE_PIXELS = limit  # Pillow's own check, at open: a warning above it, an error above twice it
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            upload.seek(0)
            with Image.open(upload, formats=[fmt]) as image:
                width, height = image.size
                if width * height > limit:
                    raise _pixel_limit_refusal(name)
                image.verify()
            upload.seek(0)
            with Image.open(upload, formats=[fmt]) as image:
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _pixel_limit_refusal(name) from exc
        except UnidentifiedImageError as exc:
            raise _not_really(name, kind) from exc
        except EvidenceRejected:
            raise
        except Exception as exc:  # a decoder meeting hostile bytes raises anything: OSError, SyntaxError, ValueError...
            raise Damaged(f"{type(exc).__name__}: {exc}") from exc


def _read_at(upload: UploadedFile, offset: int, length: int) -> bytes:
    upload.seek(offset)
    return upload.read(length)


def _check_pdf(upload: UploadedFile, size: int) -> None:
    """%PDF- at the start, %%EOF in the last kilobyte, and pypdf finds at least one page."""
    if _read_at(upload, 0, 5) != b"%PDF-":
        raise Damaged("no %PDF- header")
    if b"%%EOF" not in _read_at(upload, max(0, size - 1024), 1024):
        raise Damaged("no %%EOF at the end")
    upload.seek(0)
    try:
        reader = pypdf.PdfReader(upload, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfPassword()
        pages = len(reader.pages)
    except PdfPassword:
        raise
    except Exception as exc:  # pypdf meeting hostile bytes: PdfReadError, ValueError, KeyError, RecursionError...
        if "decrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise PdfPassword() from exc
        raise Damaged(f"pypdf: {type(exc).__name__}: {exc}") from exc
    if pages < 1:
        raise NoPages()


def _check_bmff(upload: UploadedFile, size: int, required: bytes) -> None:
    """ISO base media (MP4, MOV, 3GP, M4A, HEIC): boxes chained exactly to the end, ftyp first, ``required`` present."""
    offset, seen, count = 0, set(), 0
    while offset < size:
        count += 1
        if count > MAX_BOXES:
            raise Damaged("too many top-level boxes")
        header = _read_at(upload, offset, 16)
        if len(header) < 8:
            raise Damaged(f"a box header cut off at {offset}")
        length, kind = struct.unpack(">I4s", header[:8])
        if length == 1:
            if len(header) < 16:
                raise Damaged(f"a 64-bit box size cut off at {offset}")
            length = struct.unpack(">Q", header[8:16])[0]
            minimum = 16
        elif length == 0:  # the last box runs to the end of the file
            length, minimum = size - offset, 8
        else:
            minimum = 8
        if length < minimum or offset + length > size:
            raise Damaged(f"box {kind!r} at {offset} claims {length} bytes of {size - offset}")
        if not all(32 <= b < 127 or b == 0xA9 for b in kind):
            raise Damaged(f"box type {kind!r} at {offset}")
        if count == 1 and (kind != b"ftyp" or length < 16 or (length - 16) % 4):
            raise Damaged(f"the first box is {kind!r} of {length} bytes, not an ftyp box")
        seen.add(kind)
        offset += length
    if required not in seen:
        raise Damaged(f"no {required!r} box")


def _check_iso_video(upload: UploadedFile, size: int) -> None:
    _check_bmff(upload, size, b"moov")


def _check_iso_image(upload: UploadedFile, size: int) -> None:
    _check_bmff(upload, size, b"meta")


def _vint(data: bytes, at: int) -> tuple[int, int]:
    """An EBML variable-length integer at ``at``: (value with the length marker removed, its length)."""
    if at >= len(data) or data[at] == 0:
        raise Damaged(f"EBML number at {at}")
    first, length = data[at], 1
    while not first & (0x80 >> (length - 1)):
        length += 1
    if at + length > len(data):
        raise Damaged(f"EBML number cut off at {at}")
    value = first & (0xFF >> length)
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    return value, length


def _ebml_id(data: bytes, at: int) -> tuple[bytes, int]:
    _value, length = _vint(data, at)
    return data[at : at + length], length


def _check_ebml(upload: UploadedFile, size: int, doctypes: tuple[bytes, ...]) -> None:
    """WebM/Matroska: an EBML header whose DocType is one of ``doctypes``, then a Segment."""
    data = _read_at(upload, 0, 4096)
    if data[:4] != b"\x1a\x45\xdf\xa3":
        raise Damaged("no EBML header")
    header_size, length = _vint(data, 4)
    start = 4 + length
    end = start + header_size
    if end + 4 > min(len(data), size):
        raise Damaged("EBML header longer than the file")
    at, doctype = start, b""
    while at < end:
        element, id_length = _ebml_id(data, at)
        value_size, size_length = _vint(data, at + id_length)
        value_at = at + id_length + size_length
        if value_at + value_size > end:
            raise Damaged("EBML header element runs past the header")
        if element == b"\x42\x82":
            doctype = data[value_at : value_at + value_size].rstrip(b"\x00")
        at = value_at + value_size
    if doctype not in doctypes:
        raise Damaged(f"DocType {doctype!r}")
    segment, _length = _ebml_id(data, end)
    if segment != b"\x18\x53\x80\x67":
        raise Damaged("no Segment after the EBML header")


def _check_riff_wave(upload: UploadedFile, size: int) -> None:
    head = _read_at(upload, 0, 4096)
    if len(head) < 20 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise Damaged("no RIFF/WAVE header")
    declared = struct.unpack("<I", head[4:8])[0]
    if declared not in (0, 0xFFFFFFFF) and declared + 8 > size:  # 0 and all-ones: written while streaming
        raise Damaged(f"RIFF claims {declared + 8} bytes of {size}")
    at = 12
    while at + 8 <= len(head):
        chunk, length = struct.unpack("<4sI", head[at : at + 8])
        if chunk == b"fmt ":
            if length < 16:
                raise Damaged("fmt chunk too short")
            return
        at += 8 + length + (length & 1)
    raise Damaged("no fmt chunk")


def _check_ogg(upload: UploadedFile, size: int) -> None:
    page = _read_at(upload, 0, 27 + 255)
    if len(page) < 27 or page[:4] != b"OggS" or page[4] != 0 or not page[5] & 0x02:
        raise Damaged("no Ogg first page")
    segments = page[26]
    if len(page) < 27 + segments or 27 + segments + sum(page[27 : 27 + segments]) > size:
        raise Damaged("Ogg first page cut off")


def _check_flac(upload: UploadedFile, size: int) -> None:
    head = _read_at(upload, 0, 42)
    if len(head) < 42 or head[:4] != b"fLaC" or head[4] & 0x7F != 0 or head[5:8] != b"\x00\x00\x22":
        raise Damaged("no FLAC STREAMINFO")


def _mpeg_frame_ok(header: bytes) -> bool:
    """An MPEG audio frame header: sync, a known version and layer, a usable bitrate and sample rate."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    version, layer = (header[1] >> 3) & 0x03, (header[1] >> 1) & 0x03
    bitrate, rate = header[2] >> 4, (header[2] >> 2) & 0x03
    return version != 1 and layer != 0 and bitrate != 0x0F and rate != 0x03


def _check_mp3(upload: UploadedFile, size: int) -> None:
    head = _read_at(upload, 0, 10)
    at = 0
    if head[:3] == b"ID3":
        if len(head) < 10 or head[3] not in (2, 3, 4) or any(b & 0x80 for b in head[6:10]):
            raise Damaged("ID3 header")
        tag = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        at = 10 + tag + (10 if head[5] & 0x10 else 0)
    if not _mpeg_frame_ok(_read_at(upload, at, 4)):
        raise Damaged(f"no MPEG audio frame at {at}")


def _check_adts(upload: UploadedFile, size: int) -> None:
    head = _read_at(upload, 0, 7)
    if len(head) < 7 or head[0] != 0xFF or head[1] & 0xF6 != 0xF0:
        raise Damaged("no ADTS header")
    frame = ((head[3] & 0x03) << 11) | (head[4] << 3) | (head[5] >> 5)
    if frame < 7 or frame > size:
        raise Damaged(f"ADTS frame of {frame} bytes")


def _check_amr(upload: UploadedFile, size: int) -> None:
    head = _read_at(upload, 0, 10)
    magic = b"#!AMR-WB\n" if head.startswith(b"#!AMR-WB\n") else b"#!AMR\n"
    if not head.startswith(magic) or size <= len(magic):
        raise Damaged("no AMR frames")


CONTAINER_CHECKS: dict[str, Callable[[UploadedFile, int], None]] = {
    "application/pdf": _check_pdf,
    "video/mp4": _check_iso_video,
    "video/quicktime": _check_iso_video,
    "video/3gpp": _check_iso_video,
    "audio/mp4": _check_iso_video,
    "image/heic": _check_iso_image,
    "image/heif": _check_iso_image,
    "video/webm": lambda upload, size: _check_ebml(upload, size, (b"webm",)),
    "video/x-matroska": lambda upload, size: _check_ebml(upload, size, (b"matroska",)),
    "audio/x-wav": _check_riff_wave,
    "audio/wav": _check_riff_wave,
    "audio/ogg": _check_ogg,
    "audio/x-flac": _check_flac,
    "audio/mpeg": _check_mp3,
    "audio/aac": _check_adts,
    "audio/amr": _check_amr,
}


def _store(evidence: Evidence, filename: str, upload: UploadedFile) -> None:
    """Write the file; on failure keep nothing of it (``StorageFull`` or ``StorageUnavailable``)."""
    store_file(evidence.file, filename, upload)


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
        public_state=copy_state_at_intake(mime),
    )
    upload.seek(0)
    _store(evidence, f"{uuid.uuid4().hex}.{inspected.extension}", upload)
    evidence.save(force_insert=True)
    if evidence.public_state == EvidenceCopyState.PENDING:
        # The stripped copy is made by a task once the file's row is committed (and swept if that is lost).
        transaction.on_commit(functools.partial(copy_dispatch, evidence.pk))
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
