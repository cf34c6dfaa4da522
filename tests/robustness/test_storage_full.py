"""A full disk under the media folder: 507 with a message, nothing stored, the database consistent."""

from __future__ import annotations

import errno
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.errors import StorageFull
from complaints.models import AuditEvent, Complaint, Evidence, OutboxMessage
from tests.api.conftest import API, PDF, PNG, error_of


def media_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The media folder's disk fills up after ``allow`` more files.

    Like the real thing, a failed save has already created the (empty) file when the
    write fails with ENOSPC: that empty file is what used to be left behind.
    """
    state = {"allow": 0}
    real_save = FileSystemStorage._save

    def save(self: Any, name: str, content: Any) -> str:
        if state["allow"] <= 0:
            full_path = self.path(name)
            os.makedirs(os.path.dirname(full_path), exist_ok=True)
            os.close(os.open(full_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), full_path)
        state["allow"] -= 1
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save)
    return state


def nothing_stored() -> None:
    assert not Complaint.objects.exists()
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("allow", [0, 1])
def test_api_filing_on_a_full_disk_answers_507_and_leaves_no_file_and_no_row(
    anon, filing_payload, media, disk_full, settings, allow
):
    disk_full["allow"] = allow  # 0: the first file fails; 1: the second file fails after one was stored
    anon.raise_request_exception = False
    payload = filing_payload()
    payload["files"] = [SimpleUploadedFile("ballot.png", PNG), SimpleUploadedFile("act.pdf", PDF)]
    response = anon.post(f"{API}/complaints/", payload, format="multipart")
    assert response.status_code == 507, response.content[:300]
    error = error_of(response)
    assert error["code"] == "storage_full"
    assert "try again" in error["message"]
    assert media_files(settings) == []
    nothing_stored()


@pytest.mark.django_db(transaction=True)
def test_web_filing_on_a_full_disk_is_a_507_page(web_form, png, media, disk_full, settings):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("web-file"), web_form(files=[png("a.png")]))
    assert response.status_code == 507
    assert response["Content-Type"].startswith("text/html")
    assert "try again" in response.content.decode()
    assert media_files(settings) == []
    nothing_stored()
    # The XHR form (app.js) gets the message in its JSON error shape.
    response = client.post(reverse("web-file"), web_form(files=[png("a.png")]), HTTP_ACCEPT="application/json")
    assert response.status_code == 507
    assert response.json()["errors"]["__all__"][0]["message"]


@pytest.mark.django_db(transaction=True)
def test_adding_evidence_on_a_full_disk_answers_507_and_keeps_the_complaint_unchanged(
    anon, election, category, territory, media, disk_full, settings
):
    filing = services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now() - timedelta(minutes=30),
        description="Директор предприятия требует фото бюллетеня от сотрудников.",
    )
    complaint = filing.complaint
    events_before = AuditEvent.objects.count()
    anon.raise_request_exception = False
    response = anon.post(
        f"{API}/status/evidence/",
        {"code": complaint.code, "secret": filing.secret, "file": SimpleUploadedFile("a.png", PNG)},
        format="multipart",
    )
    assert response.status_code == 507, response.content[:300]
    assert error_of(response)["code"] == "storage_full"
    assert media_files(settings) == []
    assert not Evidence.objects.exists()
    assert AuditEvent.objects.count() == events_before
    complaint.refresh_from_db()
    assert complaint.version == 1


@pytest.mark.django_db(transaction=True)
def test_a_full_disk_while_a_large_upload_is_spooled_answers_507(anon, filing_payload, media, settings, monkeypatch):
    """Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a temporary file first; that can fail too."""
    from django.core.files import uploadedfile

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10

    def full(self: Any, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "write", full, raising=False)
    anon.raise_request_exception = False
    payload = filing_payload()
    payload["files"] = [SimpleUploadedFile("ballot.png", PNG)]
    response = anon.post(f"{API}/complaints/", payload, format="multipart")
    assert response.status_code == 507, response.content[:300]
    assert error_of(response)["code"] == "storage_full"
    nothing_stored()


@pytest.mark.django_db(transaction=True)
def test_an_answer_whose_second_file_finds_the_disk_full_leaves_no_file(
    election, category, territory, make_user, media, disk_full, settings
):
    filing = services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now() - timedelta(minutes=30),
        description="Директор предприятия требует фото бюллетеня от сотрудников.",
    )
    reviewer = make_user("reviewer", [territory["pav"]])
    complaint = filing.complaint
    for action in ("triage", "start_review"):
        complaint = services.complaint_transition(complaint=complaint, action=action, actor=reviewer)
    complaint = services.complaint_transition(
        complaint=complaint, action="request_info", actor=reviewer, comment="Пришлите фото."
    )
    disk_full["allow"] = 1
    with pytest.raises(StorageFull):
        services.complaint_answer(
            complaint=complaint,
            actor=services.ComplainantActor(complaint_id=complaint.pk),
            comment="Вот фото и акт.",
            files=[SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.pdf", PDF)],
        )
    assert not Evidence.objects.exists()
    assert media_files(settings) == []
