"""Derived copies of evidence with every metadata removed: made after intake, off the request path, hashed.

The original stays as it was uploaded, byte for byte, behind its permission. For a photo
the copy is re-encoded from its pixels only, with the EXIF orientation applied and the
colours converted to sRGB, so no EXIF, GPS, XMP, IPTC, ICC profile or comment survives;
for a video (MP4, MOV, 3GP, WebM, Matroska) the audio and video packets are remuxed into
a new container of the same kind without container or stream tags, data tracks (GPS,
timed metadata), chapters or attachments. Every copy is checked after it is written and
refused (``failed``) if any metadata is left. Other types are ``unpublishable``: they are
never shown outside the original's permission (docs/security.md, Evidence custody).

Intake marks a copyable file ``pending`` and, once its transaction commits, hands its id
to the task queue through ``copy_dispatch`` (the tasks module plugs the queue in); a
periodic sweep hands out whatever is still pending, so a broker outage loses nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageCms, ImageOps

from complaints.audit import audit_append
from complaints.models import Evidence, EvidenceCopyState
from complaints.services._common import lock_complaint
from complaints.services.files import files_follow_transaction, open_stored, store_file

log = logging.getLogger(__name__)

COPY_ACTION = "evidence_copy"  # the audit event recording the copy's hash beside the original's


@dataclass(frozen=True)
class CopyFormat:
    kind: str  # "image" or "video"
    reader: str  # Pillow's format name, or FFmpeg's muxer name
    content_type: str  # of the copy
    extension: str


IMAGE_COPIES = {
    "image/jpeg": CopyFormat("image", "JPEG", "image/jpeg", "jpg"),
    "image/png": CopyFormat("image", "PNG", "image/png", "png"),
    "image/gif": CopyFormat("image", "GIF", "image/gif", "gif"),
    "image/webp": CopyFormat("image", "WEBP", "image/webp", "webp"),
    # Only if a HEIF plugin (pillow-heif) is registered with Pillow; then the copy is a JPEG.
    "image/heic": CopyFormat("image", "HEIF", "image/jpeg", "jpg"),
    "image/heif": CopyFormat("image", "HEIF", "image/jpeg", "jpg"),
}
VIDEO_COPIES = {
    "video/mp4": CopyFormat("video", "mp4", "video/mp4", "mp4"),
    "video/quicktime": CopyFormat("video", "mov", "video/quicktime", "mov"),
    "video/3gpp": CopyFormat("video", "3gp", "video/3gpp", "3gp"),
    "video/webm": CopyFormat("video", "webm", "video/webm", "webm"),
    "video/x-matroska": CopyFormat("video", "matroska", "video/x-matroska", "mkv"),
}
JPEG_QUALITY = 90
SWEEP_AFTER = timedelta(minutes=2)  # a fresh upload's own task goes first
SWEEP_BATCH = 200


def copy_format(content_type: str) -> CopyFormat | None:
    """How a copy of this type is made, or None: it is never published."""
    fmt = IMAGE_COPIES.get(content_type) or VIDEO_COPIES.get(content_type)
    if fmt is not None and fmt.kind == "image":
        Image.init()
        if fmt.reader not in Image.OPEN:  # HEIC without a plugin
            return None
    return fmt


def copy_state_at_intake(content_type: str) -> str:
    return EvidenceCopyState.PENDING if copy_format(content_type) else EvidenceCopyState.UNPUBLISHABLE


class CopyFailed(Exception):
    """The original cannot be read as its type, or the copy still carries metadata (the reason is for the log)."""


# --- photos ---------------------------------------------------------------------------

# Pillow's info keys (and byte markers) that carry metadata; none may be left in a copy.
METADATA_KEYS = frozenset({"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "iptc", "adobe"})
# Long enough not to turn up by chance in compressed pixels (a bare "8BIM" would, in about one large file of 500).
METADATA_MARKERS = (b"Exif\x00\x00", b"ICC_PROFILE", b"http://ns.adobe.com/xap/", b"Photoshop 3.0")
SRGB = ImageCms.createProfile("sRGB")
OUTPUT_MODES = {
    "JPEG": {"L": "L", "RGB": "RGB"},
    "PNG": {"1": "1", "L": "L", "LA": "LA", "RGB": "RGB", "RGBA": "RGBA", "I;16": "I;16"},
    "WEBP": {"RGB": "RGB", "RGBA": "RGBA"},
    "GIF": {"RGBA": "RGBA"},
}


def _target_mode(image: Image.Image, writer: str) -> str:
    allowed = OUTPUT_MODES[writer]
    if image.mode in allowed:
        return allowed[image.mode]
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    if writer == "JPEG" or not has_alpha:
        return "RGB" if writer != "GIF" else "RGBA"
    return "RGBA"


def _pixels_only(frame: Image.Image, mode: str, icc: bytes | None) -> Image.Image:
    """The frame's pixels in ``mode`` (sRGB if it carried a colour profile) in a new image with no info at all."""
    converted = None
    if icc and mode in ("RGB", "RGBA") and frame.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = frame if frame.mode != "CMYK" or mode == "RGB" else frame.convert("RGB")
            converted = ImageCms.profileToProfile(
                source, ImageCms.ImageCmsProfile(io.BytesIO(icc)), SRGB, outputMode=mode
            )
        except (ImageCms.PyCMSError, OSError, ValueError):  # a broken profile: its pixels as they are
            converted = None
    if converted is None:
        converted = frame if frame.mode == mode else frame.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _clean_frames(image: Image.Image, writer: str) -> tuple[list[Image.Image], list[int]]:
    limit = int(settings.EVIDENCE_MAX_IMAGE_PIXELS)
    width, height = image.size
    count = getattr(image, "n_frames", 1) if writer in ("GIF", "WEBP") else 1
    if width * height * count > limit:
        raise CopyFailed(f"{width}x{height} pixels in {count} frame(s): over EVIDENCE_MAX_IMAGE_PIXELS")
    icc = image.info.get("icc_profile")
    mode = _target_mode(image, writer)
    frames, durations = [], []
    for index in range(count):
        image.seek(index)
        oriented = ImageOps.exif_transpose(image)  # the orientation tag applied to the pixels
        frames.append(_pixels_only(oriented, mode, icc))
        durations.append(int(image.info.get("duration", 100) or 100))
    return frames, durations


def _save_image(frames: list[Image.Image], durations: list[int], writer: str) -> bytes:
    out = io.BytesIO()
    first, rest = frames[0], frames[1:]
    if writer == "JPEG":
        first.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif writer == "PNG":
        first.save(out, "PNG")
    else:
        quality = {"quality": JPEG_QUALITY} if writer == "WEBP" else {}
        if rest:  # an animation: frames and their timing, nothing else
            first.save(out, writer, save_all=True, append_images=rest, duration=durations, loop=0, **quality)
        else:
            first.save(out, writer, **quality)
    return out.getvalue()


def _check_image_clean(data: bytes, writer: str) -> None:
    with Image.open(io.BytesIO(data), formats=[writer]) as image:
        left = sorted(k for k in image.info if k in METADATA_KEYS) + (["exif tags"] if len(image.getexif()) else [])
    left += [marker.decode("latin-1") for marker in METADATA_MARKERS if marker in data]
    if left:
        raise CopyFailed(f"metadata left in the copy: {', '.join(left)}")


def strip_image(source: IO[bytes], fmt: CopyFormat) -> bytes:
    """The image re-encoded from its pixels only (orientation applied, sRGB), checked to carry no metadata."""
    writer = {"image/jpeg": "JPEG"}.get(fmt.content_type, fmt.reader)
    Image.MAX_IMAGE_PIXELS = int(settings.EVIDENCE_MAX_IMAGE_PIXELS)  # Pillow's bomb check, at open
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(source, formats=[fmt.reader]) as image:
                frames, durations = _clean_frames(image, writer)
            data = _save_image(frames, durations, writer)
        except CopyFailed:
            raise
        except Exception as exc:  # a decoder meeting hostile bytes raises anything
            raise CopyFailed(f"{type(exc).__name__}: {exc}") from exc
    _check_image_clean(data, writer)
    return data


# --- videos ---------------------------------------------------------------------------

# The only tags FFmpeg's muxers write themselves (with bitexact: no version string).
VIDEO_CONTAINER_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder"})
VIDEO_STREAM_TAGS = {"language": None, "handler_name": {"VideoHandler", "SoundHandler"}, "vendor_id": None}
VIDEO_STREAM_TAGS_ANY = frozenset({"DURATION", "encoder"})


def _remux(source: Path, target: Path, fmt: CopyFormat) -> None:
    # Imported here, not at the top: FFmpeg's libraries take ~120 ms and tens of MB to load,
    # and only the worker making a video's copy needs them, not every web process.
    import av

    options = {"fflags": "+bitexact"}
    if fmt.reader in ("mp4", "mov", "3gp"):
        options["movflags"] = "+faststart"
    with av.open(str(source), "r") as src:
        streams = [s for s in src.streams if s.type in ("video", "audio")]
        if not any(s.type == "video" for s in streams):
            raise CopyFailed("no video stream")
        with av.open(str(target), "w", format=fmt.reader, container_options=options) as dst:
            mapping = {s.index: dst.add_stream_from_template(s) for s in streams}
            for out in mapping.values():
                out.metadata.clear()
            for packet in src.demux(*streams):
                if packet.dts is None:  # the demuxer's flush packet
                    continue
                packet.stream = mapping[packet.stream.index]
                dst.mux(packet)


def _check_video_clean(target: Path) -> None:
    import av  # see _remux

    with av.open(str(target), "r") as copy:
        left = [k for k in copy.metadata if k not in VIDEO_CONTAINER_TAGS]
        for stream in copy.streams:
            if stream.type not in ("video", "audio"):
                left.append(f"a {stream.type} stream")
            for key, value in stream.metadata.items():
                allowed = VIDEO_STREAM_TAGS.get(key, ())
                if key not in VIDEO_STREAM_TAGS_ANY and (allowed == () or (allowed and value not in allowed)):
                    left.append(f"stream tag {key}")
        if copy.chapters():
            left.append("chapters")
    if left:
        raise CopyFailed(f"metadata left in the copy: {', '.join(left)}")


def strip_video(source: Path, target: Path, fmt: CopyFormat) -> None:
    """Audio and video packets remuxed, untouched, into a container without tags; checked afterwards."""
    try:
        _remux(source, target, fmt)
        _check_video_clean(target)
    except CopyFailed:
        raise
    except Exception as exc:  # av.FFmpegError and its kin on damaged or unusual files
        raise CopyFailed(f"{type(exc).__name__}: {exc}") from exc


# --- the service ----------------------------------------------------------------------


class _AlreadyDone(Exception):
    """Another run finished this copy first: the file just stored is deleted with the transaction."""


def _fetch_original(evidence: Evidence, target: Path) -> str:
    """Copy the stored original to ``target`` and return its SHA-256 (it is checked before anything is derived)."""
    hasher = hashlib.sha256()
    with open_stored(evidence.file) as stream, target.open("wb") as out:
        while chunk := stream.read(1024 * 1024):
            hasher.update(chunk)
            out.write(chunk)
    return hasher.hexdigest()


def _derive(evidence: Evidence, fmt: CopyFormat, workdir: Path) -> Path:
    original = workdir / "original"
    try:
        sha = _fetch_original(evidence, original)
    except FileNotFoundError as exc:
        raise CopyFailed("the original file is missing from the storage") from exc
    if sha != evidence.sha256:
        log.error("evidence %s: the stored original does not match its SHA-256; no copy made", evidence.pk)
        raise CopyFailed("the stored original does not match its recorded SHA-256")
    target = workdir / f"copy.{fmt.extension}"
    if fmt.kind == "image":
        with original.open("rb") as source:
            target.write_bytes(strip_image(source, fmt))
    else:
        strip_video(original, target, fmt)
    return target


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            hasher.update(chunk)
    return hasher.hexdigest()


def _record_copy(evidence: Evidence, fmt: CopyFormat, copy: Path) -> str:
    sha, size = _file_sha256(copy), copy.stat().st_size
    try:
        with files_follow_transaction(), copy.open("rb") as fh:
            store_file(evidence.public_file, f"{uuid.uuid4().hex}.{fmt.extension}", File(fh))
            complaint = lock_complaint(evidence.complaint, None)
            done = Evidence.objects.filter(pk=evidence.pk, public_state=EvidenceCopyState.PENDING).update(
                public_file=evidence.public_file.name,
                public_sha256=sha,
                public_size=size,
                public_content_type=fmt.content_type,
                public_state=EvidenceCopyState.READY,
            )
            if not done:
                raise _AlreadyDone()
            audit_append(
                complaint=complaint,
                action=COPY_ACTION,
                actor_label="system",
                payload={
                    "evidence": evidence.pk,
                    "state": EvidenceCopyState.READY,
                    "sha256": evidence.sha256,
                    "public_sha256": sha,
                    "public_size": size,
                    "public_content_type": fmt.content_type,
                },
            )
    except _AlreadyDone:
        return str(Evidence.objects.values_list("public_state", flat=True).get(pk=evidence.pk))
    return EvidenceCopyState.READY


@transaction.atomic
def _settle(evidence: Evidence, state: str, reason: str = "") -> str:
    """Mark a pending copy ``failed`` (audited, with the reason) or ``unpublishable``."""
    complaint = lock_complaint(evidence.complaint, None)
    if Evidence.objects.filter(pk=evidence.pk, public_state=EvidenceCopyState.PENDING).update(public_state=state):
        if state == EvidenceCopyState.FAILED:
            log.warning("evidence %s: no stripped copy: %s", evidence.pk, reason)
            audit_append(
                complaint=complaint,
                action=COPY_ACTION,
                actor_label="system",
                payload={"evidence": evidence.pk, "state": state, "reason": reason[:200]},
            )
        return state
    return str(Evidence.objects.values_list("public_state", flat=True).get(pk=evidence.pk))


def evidence_copy_make(*, evidence_id: int) -> str:
    """Make the stripped copy of one evidence file still ``pending``; returns its state. Safe to run twice.

    A file that cannot be read as its type, or whose copy still carries metadata, becomes
    ``failed`` (audited); a storage outage raises and leaves it ``pending`` for the sweep.
    """
    evidence = Evidence.objects.select_related("complaint").filter(pk=evidence_id).first()
    if evidence is None:
        return ""
    if evidence.public_state != EvidenceCopyState.PENDING:
        return str(evidence.public_state)
    fmt = copy_format(evidence.content_type)
    if fmt is None:
        return _settle(evidence, EvidenceCopyState.UNPUBLISHABLE)
    with tempfile.TemporaryDirectory(prefix="evidence-copy-") as workdir:
        try:
            copy = _derive(evidence, fmt, Path(workdir))
        except CopyFailed as exc:
            return _settle(evidence, EvidenceCopyState.FAILED, str(exc))
        return _record_copy(evidence, fmt, copy)


def evidence_copies_due(*, now: Any = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Ids of files still waiting for their copy past their own task's turn, oldest first (for the sweep)."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    pending = Evidence.objects.filter(public_state=EvidenceCopyState.PENDING, uploaded_at__lt=cutoff)
    return list(pending.order_by("uploaded_at").values_list("pk", flat=True)[:limit])


# --- the seam to the task queue (plugged in by complaints/tasks.py) ------------------

CopyPublisher = Callable[[int], None]
_publisher: CopyPublisher | None = None


def set_copy_publisher(publisher: CopyPublisher) -> None:
    global _publisher
    _publisher = publisher


def copy_dispatch(evidence_id: int) -> None:
    """Queue one copy after its upload committed. Never raises: a file not queued here is swept."""
    try:
        if _publisher is None:
            raise LookupError("no task queue is plugged in: complaints.tasks was not imported")
        _publisher(evidence_id)
    except Exception as exc:
        log.warning("could not queue the stripped copy of evidence %s (%s); left to the sweep", evidence_id, exc)
