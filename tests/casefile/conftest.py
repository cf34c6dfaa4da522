"""Fixtures of the case-file tests: a whole case (evidence, a rejected submission with its decision file, the
appeal, a respondent with a reply file, a generated document), exported to a ZIP, and archive surgery helpers."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import casefile, documents, services
from complaints.models import Authority, Complaint
from complaints.services.checkpoints import audit_checkpoint
from tests.api.conftest import client_for  # noqa: F401 - the API clients, shared
from tests.cases.conftest import bodies, rules, staff, substantiated  # noqa: F401 - shared fixtures
from tests.images import jpeg_bytes, pdf_bytes, png_bytes
from tests.integrity.conftest import audit_keys  # noqa: F401 - a signing key of the test's own


@pytest.fixture
def case(
    substantiated: Complaint,  # noqa: F811
    staff: dict[str, Any],  # noqa: F811
    bodies: dict[str, Authority],  # noqa: F811
    rules: None,  # noqa: F811
    audit_keys: Any,  # noqa: F811
) -> Complaint:
    coordinator = staff["coordinator"]
    services.evidence_attach(
        complaint=substantiated,
        upload=SimpleUploadedFile("photo.jpg", jpeg_bytes(), content_type="image/jpeg"),
        actor=coordinator,
    )
    services.evidence_attach(
        complaint=substantiated,
        upload=SimpleUploadedFile("protocol.png", png_bytes(), content_type="image/png"),
        actor=coordinator,
    )
    document = services.document_generate(
        complaint=substantiated,
        actor=coordinator,
        options=documents.DocumentOptions(language="ru", format="pdf", legal_basis="ст. 47"),
    )
    first = services.submission_file(
        complaint=substantiated,
        actor=coordinator,
        authority=bodies["ekib"],
        channel="in_person",
        submitted_at=timezone.now() - timedelta(days=2),
        registration_number="ТИК-12/2011",
        document_sha256=document.sha256,
    )
    services.submission_record_outcome(
        submission=first,
        actor=coordinator,
        outcome="rejected",
        decided_on=timezone.localdate() - timedelta(days=1),
        text="Отказать.",
        upload=SimpleUploadedFile("decision.pdf", pdf_bytes("Decision"), content_type="application/pdf"),
    )
    services.submission_appeal(submission=first, actor=coordinator, authority=bodies["pav"], channel="post")
    respondent = services.respondent_add(
        complaint=substantiated, actor=coordinator, kind="employer", name="ТОО «Завод»", description="Директор"
    )
    services.respondent_reply_add(
        respondent=respondent,
        actor=coordinator,
        received_on=timezone.localdate(),
        text="Не согласны.",
        upload=SimpleUploadedFile("reply.pdf", pdf_bytes("Reply"), content_type="application/pdf"),
    )
    audit_checkpoint(label="before the export")
    return Complaint.objects.get(pk=substantiated.pk)


def export_bytes(complaint: Complaint, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    casefile.case_file_write(casefile.case_file_build(complaint=complaint, **kwargs), out)
    return out.getvalue()


@pytest.fixture
def exported(case: Complaint, tmp_path: Path) -> Path:
    path = tmp_path / "case.zip"
    path.write_bytes(export_bytes(case))
    return path


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    """An archive of ``files`` as they are (CRCs recomputed: only the registry's own hashes can tell)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def flip_byte(data: bytes, at: int | None = None) -> bytes:
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def comparable(case_json: bytes) -> dict[str, Any]:
    """case.json without what differs by design between two instances: when it was exported, the chain's head."""
    document = json.loads(case_json)
    document.pop("exported_at")
    document.pop("chain")
    return document


@pytest.fixture
def imported_elsewhere() -> Callable[[Any], Any]:
    return lambda data: casefile.case_file_import(source=io.BytesIO(data))
