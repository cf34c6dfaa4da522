"""Evidence custody: every served copy of a photo or video carries no EXIF, GPS or camera data; the original is sealed.

Photos are uploaded through the real filing paths (the web form, the API), the copy is made
by the task queued after commit, and every answer that serves a copy is read back with
Pillow and scanned byte by byte. The original's SHA-256 and bytes never change.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import re
from datetime import timedelta
from typing import Any

import av
import pytest
from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image, ImageCms
from rest_framework.test import APIClient

from complaints import services, tasks
from complaints.downloads import evidence_copy_response
from complaints.models import ApiKey, AuditEvent, Evidence, EvidenceCopyState
from complaints.services import evidence_copies
from tests.images import pdf_bytes

pytestmark = pytest.mark.django_db

API = "/api/v1"
CAMERA = "Canon EOS 5D Mark IV"
SOFTWARE = "Firmware 1.2.3 secret-build"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
    b'tiff:Model="XMP-CAMERA-MODEL"/></x:xmpmeta>'
)
COMMENT = b"photographed by Ivanov at station 512"
GPS_LAT, GPS_LON = (51.0, 43.0, 12.5), (75.0, 19.0, 1.0)
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = CAMERA
    exif[ExifTags.Base.Software] = SOFTWARE
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LAT
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LON
    return exif


def two_tone(size: tuple[int, int] = (80, 40)) -> Image.Image:
    """Left half red, right half blue: after a quarter turn the halves are on top and below."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return image


def gps_jpeg(orientation: int = 6, size: tuple[int, int] = (80, 40)) -> bytes:
    """A JPEG with camera EXIF, a GPS position, XMP, an ICC profile and a comment.

    Stored 80x40 (``size``), shown as ``orientation`` says."""
    out = io.BytesIO()
    two_tone(size).save(
        out, "JPEG", exif=camera_exif(orientation), xmp=XMP, icc_profile=SRGB_ICC, comment=COMMENT, quality=95
    )
    return out.getvalue()


def assert_no_metadata(data: bytes) -> Image.Image:
    """Nothing of the camera, the place or the person is left: by Pillow, and in the bytes themselves."""
    for marker in (b"Exif", b"GPS", CAMERA.encode(), b"Canon", SOFTWARE.encode(), b"XMP-CAMERA-MODEL", b"xmpmeta"):
        assert marker not in data, marker
    for marker in (b"ICC_PROFILE", COMMENT, b"Ivanov", b"http://ns.adobe.com"):
        assert marker not in data, marker
    image = Image.open(io.BytesIO(data))
    assert len(image.getexif()) == 0
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "photoshop"} & set(image.info)
    return image


def assert_original_like(data: bytes) -> None:
    """Precondition: the upload really carries what the copy must lose (else the test proves nothing)."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert exif[ExifTags.Base.Model] == CAMERA
        assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
        assert image.info.get("icc_profile")
        assert image.info.get("comment") == COMMENT
    assert XMP in data


def stored_bytes(fieldfile: Any) -> bytes:
    with fieldfile.open("rb") as fh:
        return fh.read()


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def api_client(user: Any) -> APIClient:
    _, key = ApiKey.objects.create_key(name=f"key for {user.username}", user=user)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def reviewer(make_user: Any, territory: dict[str, Any]) -> Any:
    return make_user("reviewer", [territory["pav"]], username="rev_pav")


def web_form(election: Any, category: Any, **extra: Any) -> dict[str, Any]:
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "election": election.pk,
        "category": category.pk,
        "station": "512",
        "polling_station": "",
        "region": "",
        "place_text": "",
        "occurred_at": occurred,
        "description": "Директор школы требует от учителей фотографию бюллетеня.",
        "identity": "anonymous",
        "full_name": "",
        "email": "",
        "phone": "",
    }
    data.update(extra)
    return data


# --- the acceptance test: web filing, every served copy ---------------------------------


def test_web_filing_serves_only_stripped_copies_and_keeps_the_original_sealed(
    client, election, category, territory, reviewer, django_capture_on_commit_callbacks
):
    original = gps_jpeg(orientation=6)
    assert_original_like(original)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("web-file"),
            web_form(election, category, files=[SimpleUploadedFile("IMG_0001_Ivanov.jpg", original, "image/jpeg")]),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    evidence = Evidence.objects.get()
    assert evidence.public_state == EvidenceCopyState.READY
    # The original: byte for byte what was sent, its hash unchanged.
    assert evidence.sha256 == hashlib.sha256(original).hexdigest()
    assert stored_bytes(evidence.file) == original
    copy = stored_bytes(evidence.public_file)
    assert evidence.public_sha256 == hashlib.sha256(copy).hexdigest() != evidence.sha256
    assert evidence.public_size == len(copy)
    assert evidence.public_content_type == "image/jpeg"

    staff = client.__class__()
    staff.force_login(reviewer)
    page = staff.get(reverse("web-complaint", args=[evidence.complaint.code])).content.decode()
    # Both hashes are shown; the thumbnail is the stripped copy.
    assert evidence.sha256 in page
    assert evidence.public_sha256 in page
    base = reverse("web-evidence", args=[evidence.complaint.code, evidence.pk])
    thumbnails = [src for src in re.findall(r'<img src="([^"]+)"', page) if "/evidence/" in src]
    assert thumbnails == [f"{base}?copy=stripped"]
    served = {
        "thumbnail": staff.get(thumbnails[0]),
        "copy download": staff.get(f"{base}?copy=stripped&download=1"),
        "API copy": api_client(reviewer).get(f"{API}/evidence/{evidence.pk}/download/?copy=stripped"),
        "public helper": evidence_copy_response(Evidence.objects.get(pk=evidence.pk)),
    }
    for name, answer in served.items():
        assert answer.status_code == 200, name
        data = body(answer)
        assert data == copy, name
        assert answer["X-Content-SHA256"] == evidence.public_sha256, name
        assert answer["Content-Type"] == "image/jpeg", name
        assert "Ivanov" not in answer.get("Content-Disposition", ""), name  # the uploaded name is not served
        image = assert_no_metadata(data)
        # Orientation 6: stored 80x40, shown (and copied) 40x80, the left half of the stored image on top.
        assert image.size == (40, 80), name
        assert image.getpixel((20, 10))[0] > 200, name  # red on top
        assert image.getpixel((20, 70))[2] > 200, name  # blue below
    # The permissioned original is still the original.
    assert body(staff.get(f"{base}?download=1")) == original
    assert hashlib.sha256(stored_bytes(Evidence.objects.get().file)).hexdigest() == evidence.sha256


def test_api_filing_serves_only_stripped_copies(
    election, category, territory, reviewer, django_capture_on_commit_callbacks
):
    original = gps_jpeg(orientation=8)
    anon = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    payload = {
        "election": election.pk,
        "category": category.code,
        "polling_station": territory["ps_pav"].pk,
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "description": "Директор требует сфотографировать бюллетень и прислать ему снимок.",
        "files": [SimpleUploadedFile("camera.jpg", original)],
    }
    with django_capture_on_commit_callbacks(execute=True):
        filed = anon.post(f"{API}/complaints/", payload, format="multipart")
    assert filed.status_code == 201, filed.content
    assert filed.json()["evidence"][0]["public_state"] == "pending"  # made after the answer, off the request path
    code = filed.json()["code"]
    staff = api_client(reviewer)
    listed = staff.get(f"{API}/complaints/{code}/evidence/").json()
    assert len(listed) == 1
    item = listed[0]
    assert item["public_state"] == "ready"
    assert item["sha256"] == hashlib.sha256(original).hexdigest()
    assert item["public_download_url"].endswith("?copy=stripped")
    copy = staff.get(item["public_download_url"])
    assert copy.status_code == 200
    data = body(copy)
    assert hashlib.sha256(data).hexdigest() == item["public_sha256"] == copy["X-Content-SHA256"]
    assert item["public_size"] == len(data)
    # Orientation 8: stored 80x40, a quarter turn the other way: shown 40x80, the left half at the bottom.
    image = assert_no_metadata(data)
    assert image.size == (40, 80)
    assert image.getpixel((20, 70))[0] > 200
    assert image.getpixel((20, 10))[2] > 200
    original_answer = staff.get(item["download_url"])
    assert body(original_answer) == original
    assert original_answer["X-Content-SHA256"] == item["sha256"]


@pytest.mark.parametrize(
    ("orientation", "size"),
    [(n, (80, 40)) for n in (1, 2, 3, 4)] + [(n, (40, 80)) for n in (5, 6, 7, 8)],
)
def test_every_orientation_is_applied(orientation, size):
    fmt = evidence_copies.copy_format("image/jpeg")
    assert fmt is not None
    image = assert_no_metadata(evidence_copies.strip_image(io.BytesIO(gps_jpeg(orientation)), fmt))
    assert image.size == size


def png_with_metadata() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Ivanov")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    two_tone().convert("RGBA").save(out, "PNG", pnginfo=info, exif=camera_exif(6), icc_profile=SRGB_ICC)
    return out.getvalue()


def webp_with_metadata() -> bytes:
    out = io.BytesIO()
    two_tone().save(out, "WEBP", exif=camera_exif(6), xmp=XMP, icc_profile=SRGB_ICC)
    return out.getvalue()


def animated_gif_with_comment() -> bytes:
    out = io.BytesIO()
    frames = [two_tone(), two_tone().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=[200, 300], loop=0, comment=COMMENT)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "content_type", "size"),
    [
        ("a.png", png_with_metadata, "image/png", (40, 80)),
        ("a.webp", webp_with_metadata, "image/webp", (40, 80)),
        ("a.gif", animated_gif_with_comment, "image/gif", (80, 40)),
    ],
)
def test_png_webp_and_gif_copies_lose_their_metadata(
    file_complaint, django_capture_on_commit_callbacks, name, make, content_type, size
):
    original = make()
    assert b"Ivanov" in original or b"Canon" in original
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(files=[SimpleUploadedFile(name, original)])
    evidence = Evidence.objects.get(complaint=complaint)
    assert evidence.public_state == EvidenceCopyState.READY
    assert evidence.public_content_type == content_type
    copy = stored_bytes(evidence.public_file)
    image = assert_no_metadata(copy)
    assert image.size == size
    if content_type == "image/gif":
        assert getattr(image, "n_frames", 1) == 2  # the animation is kept, without its comment
    assert stored_bytes(evidence.file) == original


# --- videos ------------------------------------------------------------------------------


def video_with_metadata(fmt: str, codec: str) -> bytes:
    """A short video whose container and stream carry a GPS position and the camera's name."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        container.metadata.update({"title": CAMERA, "location": "+51.7203+075.3190/", "make": "Canon", "model": CAMERA})
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.metadata["handler_name"] = f"{CAMERA} handler"
        for i in range(10):
            for packet in stream.encode(av.VideoFrame.from_image(Image.new("RGB", (64, 48), (i * 20, 90, 200)))):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(("name", "fmt", "codec"), [("clip.mp4", "mp4", "libx264"), ("clip.webm", "webm", "libvpx")])
def test_video_copies_are_remuxed_without_tags(file_complaint, django_capture_on_commit_callbacks, name, fmt, codec):
    original = video_with_metadata(fmt, codec)
    assert CAMERA.encode() in original
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(files=[SimpleUploadedFile(name, original)])
    evidence = Evidence.objects.get(complaint=complaint)
    assert evidence.public_state == EvidenceCopyState.READY, AuditEvent.objects.filter(action="evidence_copy").last()
    copy = stored_bytes(evidence.public_file)
    for marker in (CAMERA.encode(), b"Canon", b"+51.7203", b"location"):
        assert marker not in copy, marker
    assert not re.search(rb"Lav[fc]\d", copy)  # bitexact: not even the muxer's version
    with av.open(io.BytesIO(copy)) as container:
        assert set(container.metadata) <= {"major_brand", "minor_version", "compatible_brands", "encoder"}
        assert [s.type for s in container.streams] == ["video"]
        assert sum(1 for _ in container.decode(video=0)) == 10  # every frame is still there
    assert stored_bytes(evidence.file) == original


# --- never the original: pending, failed, unpublishable -------------------------------


def test_a_copy_not_made_yet_answers_409_never_the_original(file_complaint, reviewer, client):
    complaint = file_complaint(files=[SimpleUploadedFile("p.jpg", gps_jpeg())])  # no commit: the task has not run
    evidence = Evidence.objects.get(complaint=complaint)
    assert evidence.public_state == EvidenceCopyState.PENDING
    client.force_login(reviewer)
    web = client.get(reverse("web-evidence", args=[complaint.code, evidence.pk]) + "?copy=stripped")
    assert web.status_code == 409
    assert "готовится" in web.content.decode()  # the reviewer's language: "is being prepared"
    assert b"Exif" not in web.content
    api = api_client(reviewer).get(f"{API}/evidence/{evidence.pk}/download/?copy=stripped")
    assert api.status_code == 409
    assert api.json()["error"]["code"] == "copy_pending"
    page = client.get(reverse("web-complaint", args=[complaint.code])).content.decode()
    assert "/evidence/" not in "".join(re.findall(r"<img [^>]*>", page))  # no preview of the original meanwhile
    assert "Копия готовится" in page  # "Copy being prepared"


def test_a_file_that_cannot_be_decoded_fails_and_is_never_served(file_complaint, reviewer, client):
    complaint = file_complaint()
    truncated = gps_jpeg()[:600]  # intake would refuse it: put it in storage as if an older version had let it in
    evidence = Evidence(
        complaint=complaint,
        sha256=hashlib.sha256(truncated).hexdigest(),
        size=len(truncated),
        content_type="image/jpeg",
        original_name="cut.jpg",
        public_state=EvidenceCopyState.PENDING,
    )
    evidence.file.save("cut.jpg", ContentFile(truncated), save=False)
    evidence.save()
    assert services.evidence_copy_make(evidence_id=evidence.pk) == EvidenceCopyState.FAILED
    evidence.refresh_from_db()
    assert evidence.public_state == EvidenceCopyState.FAILED
    assert not evidence.public_file
    event = AuditEvent.objects.filter(complaint=complaint, action="evidence_copy").get()
    assert event.payload["state"] == "failed"
    assert event.payload["evidence"] == evidence.pk
    client.force_login(reviewer)
    web = client.get(reverse("web-evidence", args=[complaint.code, evidence.pk]) + "?copy=stripped")
    assert web.status_code == 404
    assert truncated not in web.content
    api = api_client(reviewer).get(f"{API}/evidence/{evidence.pk}/download/?copy=stripped")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "no_stripped_copy"
    assert evidence_copy_response(evidence).status_code == 404
    # Safe to run twice: a failed copy stays failed, nothing more is audited.
    assert services.evidence_copy_make(evidence_id=evidence.pk) == EvidenceCopyState.FAILED
    assert AuditEvent.objects.filter(complaint=complaint, action="evidence_copy").count() == 1


def test_an_original_altered_in_storage_gets_no_copy(file_complaint):
    complaint = file_complaint(files=[SimpleUploadedFile("p.jpg", gps_jpeg())])
    evidence = Evidence.objects.get(complaint=complaint)
    storage, name = evidence.file.storage, evidence.file.name
    storage.delete(name)
    storage.save(name, ContentFile(gps_jpeg(orientation=3)))  # another photo under the same key
    assert services.evidence_copy_make(evidence_id=evidence.pk) == EvidenceCopyState.FAILED
    assert "SHA-256" in AuditEvent.objects.get(complaint=complaint, action="evidence_copy").payload["reason"]


def test_pdfs_audio_and_heic_without_a_plugin_are_unpublishable(file_complaint, reviewer, client):
    complaint = file_complaint(files=[SimpleUploadedFile("act.pdf", pdf_bytes())])
    evidence = Evidence.objects.get(complaint=complaint)
    assert evidence.public_state == EvidenceCopyState.UNPUBLISHABLE
    assert evidence_copies.copy_format("audio/mpeg") is None
    assert evidence_copies.copy_format("image/heic") is None  # Pillow reads no HEIC here: never published
    client.force_login(reviewer)
    web = client.get(reverse("web-evidence", args=[complaint.code, evidence.pk]) + "?copy=stripped")
    assert web.status_code == 404
    assert b"%PDF" not in web.content
    assert client.get(reverse("web-evidence", args=[complaint.code, evidence.pk]) + "?copy=other").status_code == 400


# --- the sweep ---------------------------------------------------------------------------


def test_the_sweep_makes_copies_left_pending_when_the_broker_was_down(
    file_complaint, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broker_down(evidence_id: int) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(evidence_copies, "_publisher", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(files=[SimpleUploadedFile("p.jpg", gps_jpeg())])
    evidence = Evidence.objects.get(complaint=complaint)
    assert evidence.public_state == EvidenceCopyState.PENDING  # nothing lost, nothing made yet
    assert "left to the sweep" in caplog.text
    assert tasks.evidence_copies_sweep() == 0  # a fresh upload's own task has its turn first
    Evidence.objects.filter(pk=evidence.pk).update(uploaded_at=timezone.now() - timedelta(minutes=10))
    monkeypatch.undo()
    assert tasks.evidence_copies_sweep() == 1
    evidence.refresh_from_db()
    assert evidence.public_state == EvidenceCopyState.READY
    assert_no_metadata(stored_bytes(evidence.public_file))
    assert tasks.evidence_copies_sweep() == 0
    # Run twice, the task changes nothing: one copy, one audit event.
    assert tasks.evidence_copy(evidence.pk) == EvidenceCopyState.READY
    assert AuditEvent.objects.filter(complaint=complaint, action="evidence_copy").count() == 1


def test_the_migration_marks_existing_photos_and_videos_pending(file_complaint):
    complaint = file_complaint(
        files=[SimpleUploadedFile("p.jpg", gps_jpeg()), SimpleUploadedFile("act.pdf", pdf_bytes())]
    )
    Evidence.objects.filter(complaint=complaint).update(public_state=EvidenceCopyState.UNPUBLISHABLE)
    migration = importlib.import_module("complaints.migrations.0017_evidence_public_copies")
    migration.mark_existing(django_apps, None)
    states = dict(Evidence.objects.filter(complaint=complaint).values_list("content_type", "public_state"))
    assert states == {"image/jpeg": "pending", "application/pdf": "unpublishable"}
    # The frozen list in the migration names every type the service can copy.
    copyable = {t for t in [*evidence_copies.IMAGE_COPIES, *evidence_copies.VIDEO_COPIES]}
    assert set(migration.COPYABLE_TYPES) == copyable


# --- permissions -------------------------------------------------------------------------


def test_the_copy_is_behind_the_staff_permission_and_scope(
    file_complaint, make_user, territory, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(files=[SimpleUploadedFile("p.jpg", gps_jpeg())])
    evidence = Evidence.objects.get(complaint=complaint)
    assert evidence.public_state == EvidenceCopyState.READY
    url = reverse("web-evidence", args=[complaint.code, evidence.pk]) + "?copy=stripped"
    api_url = f"{API}/evidence/{evidence.pk}/download/?copy=stripped"
    assert client.get(url).status_code == 302  # to the login page
    assert APIClient().get(api_url).status_code == 401
    elsewhere = make_user("reviewer", [territory["ala"]])
    observer = make_user("observer")
    for user in (elsewhere, observer):
        client.force_login(user)
        assert client.get(url).status_code in (403, 404)
        assert api_client(user).get(api_url).status_code == 404


def test_the_copy_is_recorded_in_the_audit_chain_and_the_case_file(file_complaint, django_capture_on_commit_callbacks):
    import json
    import zipfile

    from complaints import casefile
    from complaints.audit import verify_chains

    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(files=[SimpleUploadedFile("p.jpg", gps_jpeg())])
    evidence = Evidence.objects.get(complaint=complaint)
    event = AuditEvent.objects.get(complaint=complaint, action="evidence_copy")
    assert event.actor_label == "system"
    assert event.payload["sha256"] == evidence.sha256
    assert event.payload["public_sha256"] == evidence.public_sha256
    assert list(verify_chains([complaint.pk], check_files=True)) == []
    out = io.BytesIO()
    casefile.case_file_write(casefile.case_file_build(complaint=complaint), out)
    with zipfile.ZipFile(out) as archive:
        audit = json.loads(archive.read("audit.json"))
        names = archive.namelist()
    copies = [e for e in audit["events"] if e["action"] == "evidence_copy"]
    assert [e["payload"]["public_sha256"] for e in copies] == [evidence.public_sha256]
    # The case file carries the original, sealed: the copy is not in it.
    with zipfile.ZipFile(out) as archive:
        evidence_files = [archive.read(n) for n in names if n.startswith("evidence/")]
    assert evidence_files == [stored_bytes(evidence.file)]
