from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from complaints import services
from complaints.models import AuditEvent, Evidence
from complaints.services import sanitize_filename
from tests.images import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

PNG = png_bytes(width=1, height=1)  # decodable: evidence images are decoded in full
PDF = pdf_bytes()


def test_evidence_is_hashed_sniffed_and_audited(file_complaint):
    complaint = file_complaint(files=[SimpleUploadedFile("../../etc/фото 1.png", PNG, content_type="text/plain")])
    evidence = Evidence.objects.get(complaint=complaint)
    assert evidence.sha256 == hashlib.sha256(PNG).hexdigest()
    assert evidence.content_type == "image/png"  # from the bytes, not the client's claim
    assert evidence.original_name == "фото 1.png"
    assert evidence.size == len(PNG)
    assert evidence.file.read() == PNG
    assert AuditEvent.objects.filter(complaint=complaint, action="evidence").count() == 1


def test_disallowed_type_is_refused_and_nothing_is_kept(file_complaint):
    before = Evidence.objects.count()
    with pytest.raises(services.EvidenceTypeNotAllowed, match="PDF"):
        file_complaint(files=[SimpleUploadedFile("virus.png", b"MZ\x90\x00" + b"\x00" * 100)])
    assert Evidence.objects.count() == before


def test_too_large_is_refused_with_the_limit(file_complaint, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    with pytest.raises(services.EvidenceTooLarge, match="limit"):
        file_complaint(files=[SimpleUploadedFile("a.pdf", PDF)])


def test_upload_handlers_hash_while_streaming(settings):
    """A multipart request parsed by Django: the hash is ready before anyone reads the file."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force the temporary-file handler too
    big = PDF + b"0" * 300_000
    for payload in (PNG, big):
        request = RequestFactory().post("/", {"f": io.BytesIO(payload)})
        upload = request.FILES["f"]
        assert upload.sha256 == hashlib.sha256(payload).hexdigest()
        assert upload.head == payload[:4096]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("C:\\Users\\a\\photo.jpg", "photo.jpg"), ("a\x00b.png", "a_b.png"), ("", "file"), ("...", "file")],
)
def test_sanitize_filename(raw, clean):
    assert sanitize_filename(raw) == clean
