"""Fixtures for published cases: a substantiated complaint, a named reporter, photos with their stripped copy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, Evidence, EvidenceCopyState
from complaints.services.evidence_copies import evidence_copy_make
from tests.images import png_bytes

REPORTER = {"full_name": "Ерлан Серикович Байкенов", "email": "Erlan.Baikenov@mail.kz", "phone": "+7 (701) 234-56-78"}


def make_ready(evidence: Evidence) -> Evidence:
    """The evidence's stripped copy, made by the real pipeline (or, if it cannot run here, written directly)."""
    if evidence.public_state != EvidenceCopyState.READY:
        Evidence.objects.filter(pk=evidence.pk).update(public_state=EvidenceCopyState.PENDING)
        evidence_copy_make(evidence_id=evidence.pk)
        evidence.refresh_from_db()
    if evidence.public_state != EvidenceCopyState.READY:  # pragma: no cover - only without the copy pipeline
        data = png_bytes((1, 2, 3))
        evidence.public_file.save(f"copy-{evidence.pk}.png", ContentFile(data), save=False)
        evidence.public_sha256 = hashlib.sha256(data).hexdigest()
        evidence.public_size = len(data)
        evidence.public_content_type = "image/png"
        evidence.public_state = EvidenceCopyState.READY
        evidence.save()
    return evidence


@pytest.fixture
def coordinator(make_user: Callable[..., Any], territory: dict[str, Any]) -> Any:
    return make_user("coordinator", [territory["kz"]], username="pub_coordinator")


@pytest.fixture
def substantiate(coordinator: Any) -> Callable[[Complaint], Complaint]:
    def run(complaint: Complaint) -> Complaint:
        for action in ("triage", "start_review", "substantiate"):
            complaint.refresh_from_db()
            services.complaint_transition(
                complaint=complaint, action=action, actor=coordinator, version=complaint.version
            )
        complaint.refresh_from_db()
        return complaint

    return run


@pytest.fixture
def case_complaint(
    file_complaint: Callable[..., Complaint], substantiate: Callable[[Complaint], Complaint]
) -> Complaint:
    """Substantiated, at polling station 512 (Ekibastuz, Pavlodar region), with a named reporter and two photos."""
    complaint = file_complaint(
        occurred_at=timezone.now() - timedelta(hours=2),
        files=[
            SimpleUploadedFile("участок.png", png_bytes((10, 120, 60)), content_type="image/png"),
            SimpleUploadedFile("протокол.png", png_bytes((200, 40, 40)), content_type="image/png"),
        ],
        **REPORTER,
    )
    return substantiate(complaint)


@pytest.fixture
def ready(case_complaint: Complaint) -> list[Evidence]:
    """Both photos with their stripped copy ready."""
    return [make_ready(e) for e in case_complaint.evidence.order_by("pk")]


SUMMARY = (
    "В Экибастузе директор предприятия потребовал от сотрудников сфотографировать бюллетени. "
    "Наблюдатели зафиксировали давление на работников."
)
