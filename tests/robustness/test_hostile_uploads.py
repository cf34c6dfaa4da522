"""Hostile uploads: files that are not what they claim, bombs, hostile names and oversized bodies.

Every case goes through the API filing endpoint and the web filing form as a raw multipart
body (so the file name reaches the server byte for byte), and a refusal keeps nothing: no
complaint, no Evidence row, no file under MEDIA_ROOT. The files are built here, from bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from complaints import services
from complaints.models import Complaint, Evidence
from complaints.services import sanitize_filename
from complaints.services.evidence import evidence_name
from tests.api.conftest import API, error_of
from tests.images import (
    elf_bytes,
    gif_bytes,
    jpeg_bytes,
    mp4_bytes,
    pdf_bytes,
    pe_bytes,
    png_bomb_bytes,
    png_bytes,
    wav_bytes,
    webm_bytes,
    webp_bytes,
    zip_bomb_bytes,
)

pytestmark = pytest.mark.django_db

BOUNDARY = "hostile-boundary-7d1f"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n" * 4
JPEG = jpeg_bytes()


def multipart(fields: dict[str, Any], files: list[tuple[str, bytes]], field: str = "files") -> bytes:
    """A multipart body written by hand: the file name goes out exactly as given (the test client would shorten it)."""
    out = b""
    for key, value in fields.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    for name, data in files:
        disposition = f'form-data; name="{field}"; filename="{name}"'.encode()
        out += f"--{BOUNDARY}\r\nContent-Disposition: ".encode() + disposition
        out += b"\r\nContent-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """A MEDIA_ROOT of this test's own, to see that a refusal leaves no file behind."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    status: int  # the API's answer; the web form answers 400 for every refusal
    fragment: str  # in the English message, the same on both paths
    code: str = ""  # the API's error code


def _truncated_jpeg() -> bytes:
    return JPEG[: len(JPEG) // 2]


REFUSED = [
    Case("photo.jpg", _truncated_jpeg(), 400, "damaged or incomplete", "evidence_rejected"),
    Case("photo.jpg", b"\xff\xd8\xff\xe0" + HTML, 415, "its content is not JPEG", "unsupported_type"),
    Case("bomb.png", png_bomb_bytes(), 413, "the limit is 100 megapixels", "too_large"),
    Case("photo.jpg", elf_bytes(), 415, "is a program", "unsupported_type"),
    Case("photo.jpg", pe_bytes(), 415, "is a program", "unsupported_type"),
    Case("report.pdf", HTML, 415, "not a photo, video, audio recording or PDF", "unsupported_type"),
    Case("video.mp4", zip_bomb_bytes(), 415, "is an archive", "unsupported_type"),
    Case("evidence.zip", zip_bomb_bytes(), 415, "is an archive", "unsupported_type"),
    Case("empty.jpg", b"", 400, "file is empty", "empty"),
    Case("a" * 10_000 + ".jpg", JPEG, 400, "file name is too long", "file_name_too_long"),
]
REFUSED_IDS = [
    "truncated-jpeg",
    "jpeg-html-polyglot",
    "png-bomb",
    "elf-as-jpg",
    "pe-as-jpg",
    "html-as-pdf",
    "zip-bomb-as-mp4",
    "zip-bomb-as-zip",
    "empty",
    "name-10k-chars",
]

# (name sent, bytes, the name kept)
ACCEPTED = [
    ("photo.jpg", JPEG, "photo.jpg"),
    ("scene.png", png_bytes(), "scene.png"),
    ("act.pdf", pdf_bytes(), "act.pdf"),
    ("clip.mp4", mp4_bytes(), "clip.mp4"),
    ("photo\u202egpj.exe", JPEG, "photogpj.exe.jpg"),
    ("pho\x00to.jpg", JPEG, "photo.jpg"),
    ("../../etc/passwd.jpg", JPEG, "passwd.jpg"),
    ("...", JPEG, "file.jpg"),
    ("scan.png", JPEG, "scan.jpg"),
]
ACCEPTED_IDS = ["jpeg", "png", "pdf", "mp4", "rtl-override", "nul", "path-traversal", "only-dots", "wrong-extension"]


def _api_post(anon: Any, filing_payload: Any, files: list[tuple[str, bytes]], **extra: Any) -> Any:
    body = multipart(filing_payload(), files)
    return anon.generic("POST", f"{API}/complaints/", body, content_type=MULTIPART, **extra)


def _web_post(client: Any, web_form: Any, files: list[tuple[str, bytes]], language: str = "en", **extra: Any) -> Any:
    body = multipart(web_form(), files)
    return client.generic(
        "POST", reverse("web-file"), body, content_type=MULTIPART, HTTP_ACCEPT_LANGUAGE=language, **extra
    )


def _nothing_kept(media: Path) -> None:
    assert Complaint.objects.count() == 0
    assert Evidence.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize("case", REFUSED, ids=REFUSED_IDS)
def test_the_api_refuses_with_what_is_wrong_and_keeps_nothing(anon, filing_payload, media, case):
    response = _api_post(anon, filing_payload, [(case.name, case.data)])
    assert response.status_code == case.status, response.content[:500]
    error = error_of(response)
    assert case.fragment in error["message"] or any(
        case.fragment in item["message"] for items in error["fields"].values() for item in items
    ), error
    if case.code:
        codes = {error["code"], *(item["code"] for items in error["fields"].values() for item in items)}
        assert case.code in codes, error
    _nothing_kept(media)


@pytest.mark.parametrize("case", REFUSED, ids=REFUSED_IDS)
def test_the_web_form_refuses_with_what_is_wrong_and_keeps_nothing(client, web_form, media, case):
    response = _web_post(client, web_form, [(case.name, case.data)])
    assert response.status_code in (400, 413), response.content[:500]
    page = response.content.decode()
    assert "Bad Request (400)" not in page
    assert case.fragment in page, page[:3000]
    _nothing_kept(media)


@pytest.mark.parametrize(("name", "data", "kept"), ACCEPTED, ids=ACCEPTED_IDS)
def test_well_formed_files_with_hostile_names_are_accepted_under_a_safe_name(
    anon, client, filing_payload, web_form, media, name, data, kept
):
    response = _api_post(anon, filing_payload, [(name, data)])
    assert response.status_code == 201, response.content[:500]
    response = _web_post(client, web_form, [(name, data)])
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(Evidence.objects.values_list("original_name", flat=True)) == [kept, kept]
    files = stored_files(media)
    assert len(files) == 2
    assert all(media in p.parents and "\u202e" not in str(p) for p in files)


def test_a_ten_thousand_character_file_name_is_explained_in_russian(client, web_form, media):
    response = _web_post(client, web_form, [("я" * 10_000 + ".jpg", JPEG)], language="ru")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'lang="ru"' in page
    assert "Имя файла слишком длинное" in page
    _nothing_kept(media)


def test_a_damaged_image_is_explained_in_russian(client, web_form, media):
    response = _web_post(client, web_form, [("фото.jpg", _truncated_jpeg())], language="ru")
    assert response.status_code == 400
    assert "повреждён или неполон" in response.content.decode()
    _nothing_kept(media)


def test_a_ten_thousand_character_file_name_on_the_api_names_the_field(anon, filing_payload, media):
    response = _api_post(anon, filing_payload, [("a" * 10_000 + ".jpg", JPEG)], HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "file_name_too_long"
    assert "files" in error["fields"]
    assert "слишком длинное" in error["message"]


# --- bodies larger than the limit: refused from Content-Length, before the body is read ---


def test_the_web_form_refuses_a_declared_content_length_above_the_limit_without_reading(client, web_form, settings):
    settings.EVIDENCE_MAX_BYTES = 2**20
    # The body is small; the declared length is not. Reading past the real body would fail the test client.
    response = _web_post(client, web_form, [("photo.jpg", JPEG)], CONTENT_LENGTH=str(200 * 2**20))
    assert response.status_code == 413
    page = response.content.decode()
    assert "the limit is 11 MB per request" in page
    assert Complaint.objects.count() == 0


def test_the_evidence_form_refuses_a_declared_content_length_above_the_limit(client, settings):
    settings.EVIDENCE_MAX_BYTES = 2**20
    response = client.generic(
        "POST",
        "/status/ABCD-EFGH-JKMN/evidence/",
        multipart({}, [("photo.jpg", JPEG)]),
        content_type=MULTIPART,
        HTTP_ACCEPT_LANGUAGE="ru",
        CONTENT_LENGTH=str(200 * 2**20),
    )
    assert response.status_code == 413
    assert "МБ" in response.content.decode()


def test_the_web_form_refusal_is_json_for_app_js(client, web_form, settings):
    settings.EVIDENCE_MAX_BYTES = 2**20
    response = _web_post(
        client, web_form, [("photo.jpg", JPEG)], CONTENT_LENGTH=str(200 * 2**20), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 413
    assert response.json()["errors"]["__all__"][0]["code"] == "too_large"


def test_a_form_larger_than_the_text_limit_gets_a_page_not_a_bare_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.generic(
        "POST",
        reverse("web-file"),
        "description=" + "x" * 5000,
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "Bad Request (400)" not in page
    assert "shorten it" in page


@pytest.mark.parametrize(
    ("path", "limit_mb"),
    [("/complaints/", 11), ("/complaints/ABCD-EFGH-JKMN/evidence/", 2)],
    ids=["filing", "evidence"],
)
def test_the_api_refuses_a_declared_content_length_above_the_limit(anon, settings, path, limit_mb, people):
    settings.EVIDENCE_MAX_BYTES = 2**20
    anon.force_authenticate(people["reviewer"])
    body = multipart({}, [("photo.jpg", JPEG)])
    response = anon.generic("POST", f"{API}{path}", body, content_type=MULTIPART, CONTENT_LENGTH=str(200 * 2**20))
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "too_large"
    assert f"at most {limit_mb} MB" in error["message"]


def test_too_many_fields_or_files_are_explained(client, anon, settings, web_form, filing_payload):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = _web_post(client, web_form, [])
    assert response.status_code == 400
    assert "more than 5 fields" in response.content.decode()
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    response = _api_post(anon, filing_payload, [("a.jpg", JPEG)] * 3)
    assert response.status_code == 400
    assert error_of(response)["fields"]["files"][0]["message"] == "Attach at most 2 files at once."


def test_a_file_over_the_limit_is_not_spooled_past_it(settings, tmp_path):
    """The upload handler stops writing a file once it passes EVIDENCE_MAX_BYTES; its size stays the true one."""
    settings.EVIDENCE_MAX_BYTES = 100_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000  # the temporary-file handler
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    payload = b"\x00" * 1_000_000
    request = RequestFactory().post("/", {"f": io.BytesIO(payload)})
    upload = request.FILES["f"]
    assert upload.size == len(payload)
    assert Path(upload.temporary_file_path()).stat().st_size <= settings.EVIDENCE_MAX_BYTES
    with pytest.raises(services.EvidenceTooLarge, match="limit"):
        services.evidence_inspect(upload)


# --- the content checks, type by type -------------------------------------------------


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def _mp4_truncated() -> bytes:
    return mp4_bytes()[:-20]


def _ftyp_broken() -> bytes:
    data = bytearray(mp4_bytes())
    data[0:4] = (3).to_bytes(4, "big")  # a box shorter than its own header
    return bytes(data)


def _mp4_without_moov() -> bytes:
    return mp4_bytes()[:28] + mp4_bytes()[-72:]  # ftyp then mdat


def _wav_truncated() -> bytes:
    return wav_bytes()[:200]


def _webm_wrong_doctype() -> bytes:
    return webm_bytes()[:-5] + b"\x1f\x43\xb6\x75\x80"  # a Cluster where the Segment should be


def _pdf_without_eof() -> bytes:
    return pdf_bytes().replace(b"%%EOF", b"%%EOX")


def _pdf_without_pages() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png_bomb_warning() -> bytes:
    return png_bomb_bytes(12_000, 12_000)  # 144 Mpx: above the limit, below twice the limit (a warning in Pillow)


@pytest.mark.parametrize(
    ("name", "data", "error", "fragment"),
    [
        ("clip.mp4", _mp4_truncated(), services.EvidenceRejected, "damaged or incomplete"),
        ("clip.mp4", _ftyp_broken(), services.EvidenceRejected, "damaged or incomplete"),
        ("clip.mp4", _mp4_without_moov(), services.EvidenceRejected, "damaged or incomplete"),
        ("voice.wav", _wav_truncated(), services.EvidenceRejected, "damaged or incomplete"),
        ("clip.webm", _webm_wrong_doctype(), services.EvidenceRejected, "damaged or incomplete"),
        ("act.pdf", _pdf_without_eof(), services.EvidenceRejected, "damaged or incomplete"),
        ("act.pdf", _pdf_without_pages(), services.EvidenceRejected, "damaged or incomplete"),
        ("act.pdf", pdf_bytes(pages=0), services.EvidenceRejected, "without any pages"),
        ("big.png", _png_bomb_warning(), services.EvidenceTooLarge, "100 megapixels"),
    ],
    ids=[
        "mp4-truncated",
        "ftyp-broken",
        "mp4-no-moov",
        "wav-truncated",
        "webm-no-segment",
        "pdf-no-eof",
        "pdf-no-xref",
        "pdf-no-pages",
        "png-over-limit",
    ],
)
def test_containers_that_do_not_hold_together_are_refused(name, data, error, fragment):
    with pytest.raises(error, match=fragment):
        services.evidence_inspect(_upload(name, data))


def test_the_pixel_limit_is_a_setting(settings):
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 24 * 16 - 1
    with pytest.raises(services.EvidenceTooLarge, match="megapixels"):
        services.evidence_inspect(_upload("scene.png", png_bytes()))
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 24 * 16
    assert services.evidence_inspect(_upload("scene.png", png_bytes())).content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "data", "mime", "kept"),
    [
        ("a.gif", gif_bytes(), "image/gif", "a.gif"),
        ("a.webp", webp_bytes(), "image/webp", "a.webp"),
        ("clip.webm", webm_bytes(), "video/webm", "clip.webm"),
        ("voice.wav", wav_bytes(), "audio/x-wav", "voice.wav"),
        ("clip", mp4_bytes(), "video/mp4", "clip.mp4"),
        ("act.PDF", pdf_bytes(), "application/pdf", "act.PDF"),
        ("photo.jpeg", JPEG, "image/jpeg", "photo.jpeg"),
    ],
)
def test_other_allowed_types_still_pass(name, data, mime, kept):
    inspected = services.evidence_inspect(_upload(name, data))
    assert (inspected.content_type, inspected.name) == (mime, kept)


# --- names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("\u2066a\u2067b\u2068c\u2069d\u200e\u200f\u061c\u202a\u202b\u202c\u202d.png", "abcd.png"),
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("..", "file"),
        ("a" * 10_000 + ".jpg", "a" * 150),
    ],
)
def test_sanitize_filename_drops_bidi_controls(raw, clean):
    assert sanitize_filename(raw) == clean


@pytest.mark.parametrize(
    ("name", "mime", "served"),
    [
        ("photogpj.exe", "image/jpeg", "photogpj.exe.jpg"),
        ("photo.JPG", "image/jpeg", "photo.JPG"),
        ("scan.png", "image/jpeg", "scan.jpg"),
        ("report", "application/pdf", "report.pdf"),
        ("a" * 150, "video/mp4", "a" * 146 + ".mp4"),
        ("voice.m4a", "audio/mp4", "voice.m4a"),
    ],
)
def test_the_name_ends_with_the_extension_of_the_sniffed_type(name, mime, served):
    assert evidence_name(name, mime) == served


def test_downloads_carry_a_safe_name_matching_the_type(client, client_for, file_complaint, people, media):
    complaint = file_complaint(files=[_upload("photo\u202egpj.exe", JPEG)])
    evidence = complaint.evidence.get()
    assert evidence.original_name == "photogpj.exe.jpg"
    # A row stored before names were checked is served under a safe name too.
    Evidence.objects.filter(pk=evidence.pk).update(original_name="photo\u202egpj.exe")
    client.force_login(people["reviewer"])
    for response in (
        client.get(reverse("web-evidence", args=[complaint.code, evidence.pk]) + "?download=1"),
        client_for(people["reviewer"]).get(f"{API}/evidence/{evidence.pk}/download/"),
    ):
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert 'filename="photogpj.exe.jpg"' in disposition
        assert "\u202e" not in disposition
        assert "%E2%80%AE" not in disposition
        response.close()


def test_a_non_ascii_download_name_uses_rfc_5987(client, file_complaint, people, media):
    complaint = file_complaint(files=[_upload("фото\u202e.jpg", JPEG)])
    evidence = complaint.evidence.get()
    client.force_login(people["reviewer"])
    response = client.get(reverse("web-evidence", args=[complaint.code, evidence.pk]) + "?download=1")
    assert "filename*=utf-8''%D1%84%D0%BE%D1%82%D0%BE.jpg" in response["Content-Disposition"]
    response.close()
