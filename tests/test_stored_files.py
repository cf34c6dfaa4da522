"""Decision, reply and document files in the local folder: like evidence, they follow the transaction
and a full disk is a 507 that keeps nothing (tests/robustness/test_storage_full.py covers evidence)."""

# ruff: noqa: F811 - fixtures imported from other conftests, then named as parameters

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import documents, services
from complaints.errors import StorageFull
from complaints.models import Decision, GeneratedDocument, Respondent, RespondentReply
from complaints.services.files import StorageUnavailable
from tests.api.conftest import API, PDF, client_for, error_of  # noqa: F401 - shared
from tests.cases.conftest import bodies, rules, staff, substantiated  # noqa: F401 - shared fixtures
from tests.robustness.test_storage_full import disk_full, media, media_files  # noqa: F401 - shared

pytestmark = pytest.mark.django_db


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("decision.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def submission(substantiated: Any, staff: dict[str, Any], bodies: Any, rules: None) -> Any:
    return services.submission_file(complaint=substantiated, actor=staff["coordinator"], authority=bodies["ekib"])


def test_a_decision_that_does_not_commit_leaves_no_file(
    submission: Any, staff: dict[str, Any], media: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**_: Any) -> None:
        raise RuntimeError("the audit refused (after the file was stored)")

    monkeypatch.setattr("complaints.services.cases.audit_append", refused)
    with pytest.raises(RuntimeError, match="audit refused"):
        services.submission_record_outcome(
            submission=submission,
            actor=staff["coordinator"],
            outcome="rejected",
            decided_on=timezone.localdate(),
            upload=_pdf(),
        )
    assert not Decision.objects.exists()
    assert media_files(settings) == []


def test_a_reply_that_does_not_commit_leaves_no_file(
    substantiated: Any, staff: dict[str, Any], media: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    respondent = services.respondent_add(
        complaint=substantiated, actor=staff["coordinator"], kind="employer", name="ТОО «Завод»"
    )

    def refused(**_: Any) -> None:
        raise RuntimeError("the audit refused (after the file was stored)")

    monkeypatch.setattr("complaints.services.cases.audit_append", refused)
    with pytest.raises(RuntimeError, match="audit refused"):
        services.respondent_reply_add(
            respondent=respondent, actor=staff["coordinator"], received_on=timezone.localdate(), upload=_pdf()
        )
    assert not RespondentReply.objects.exists()
    assert Respondent.objects.count() == 1
    assert media_files(settings) == []


def test_a_document_that_does_not_commit_leaves_no_file(
    substantiated: Any, staff: dict[str, Any], media: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**_: Any) -> None:
        raise RuntimeError("the audit refused (after the file was stored)")

    monkeypatch.setattr("complaints.services.documents.audit_append", refused)
    with pytest.raises(RuntimeError, match="audit refused"):
        services.document_generate(
            complaint=substantiated,
            actor=staff["coordinator"],
            options=documents.DocumentOptions(language="ru", format="pdf", legal_basis="ст. 47"),
        )
    assert not GeneratedDocument.objects.exists()
    assert media_files(settings) == []


def test_a_decision_on_a_full_disk_is_507_and_keeps_nothing(
    submission: Any, staff: dict[str, Any], client_for: Any, media: Path, disk_full: Any, settings: Any
) -> None:
    state = submission.state
    coordinator = client_for(staff["coordinator"])
    coordinator.raise_request_exception = False
    response = coordinator.post(
        f"{API}/complaints/{submission.complaint.code}/submissions/{submission.pk}/outcome/",
        {"outcome": "rejected", "decided_on": timezone.localdate().isoformat(), "file": _pdf()},
        format="multipart",
    )
    assert response.status_code == 507, response.content[:300]
    assert error_of(response)["code"] == "storage_full"
    assert not Decision.objects.exists()
    assert media_files(settings) == []
    submission.refresh_from_db()
    assert submission.state == state


def test_a_document_on_a_full_disk_raises_storage_full_and_keeps_nothing(
    substantiated: Any, staff: dict[str, Any], media: Path, disk_full: Any, settings: Any
) -> None:
    with pytest.raises(StorageFull):
        services.document_generate(
            complaint=substantiated,
            actor=staff["coordinator"],
            options=documents.DocumentOptions(language="ru", format="pdf", legal_basis="ст. 47"),
        )
    assert not GeneratedDocument.objects.exists()
    assert media_files(settings) == []


def test_storage_unavailable_is_a_503_in_the_request_language() -> None:
    from django.utils import translation

    with translation.override("ru"):
        message = StorageUnavailable().message
    assert message != StorageUnavailable().message  # translated
    assert StorageUnavailable.code == "storage_unavailable"
