"""Fixtures for the formal complaint document: a substantiated complaint with two evidence files, the people."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from complaints import services
from complaints.models import Complaint
from tests.images import png_bytes

LEGAL = "Конституционный закон РК «О выборах в Республике Казахстан», ст. 47 п. 3"
KAZAKH_LETTERS = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"
# Every Kazakh-specific letter, lower and upper case, in one witness statement.
KAZAKH_FACTS = (
    "Әкімдік ғимаратында қызметкерлерге бюллетеньнің суретін жіберу тапсырылды; "
    "аңғарған өкіл ұйымға үндеді, шаһар тұрғыны іс жүзінде растады. "
    "ӘҒҚҢӨҰҮҺІ — бас әріптер."
)


def pdf_text(data: bytes) -> str:
    """The PDF's text as a reader extracts it (pypdf: pure Python, like the writer)."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def flat(text: str) -> str:
    """Whitespace-insensitive form: a reader may break a long line where the writer wrapped it."""
    return "".join(text.split())


@pytest.fixture
def coordinator(make_user: Any, territory: dict[str, Any]) -> Any:
    return make_user("coordinator", [territory["kz"]], username="coord", first_name="Марат", last_name="Омаров")


@pytest.fixture
def coordinator_ala(make_user: Any, territory: dict[str, Any]) -> Any:
    return make_user("coordinator", [territory["ala"]], username="coord_ala")


@pytest.fixture
def reviewer_pav(make_user: Any, territory: dict[str, Any]) -> Any:
    return make_user("reviewer", [territory["pav"]], username="rev_pav")


@pytest.fixture
def observer(make_user: Any) -> Any:
    return make_user("observer", username="obs", first_name="Ерлан", last_name="Байкенов")


@pytest.fixture
def uploads() -> Any:
    def make() -> list[SimpleUploadedFile]:
        return [
            SimpleUploadedFile("участок-512.png", png_bytes((10, 120, 60)), content_type="image/png"),
            SimpleUploadedFile("протокол.png", png_bytes((200, 40, 40)), content_type="image/png"),
        ]

    return make


@pytest.fixture
def legal_category(category: Any) -> Any:
    category.legal_reference = LEGAL
    category.save()
    return category


@pytest.fixture
def named_complaint(file_complaint: Any, legal_category: Any, observer: Any, uploads: Any) -> Complaint:
    return file_complaint(reporter_user=observer, full_name="Ерлан Байкенов", files=uploads(), description=KAZAKH_FACTS)


@pytest.fixture
def witness_complaint(file_complaint: Any, legal_category: Any, uploads: Any) -> Complaint:
    """Filed with a name, then marked anonymous (as an imported or legacy record may be)."""
    complaint = file_complaint(full_name="Гульнара Свидетельница", phone="+7 701 000 00 00", files=uploads())
    reporter = complaint.reporter
    reporter.is_anonymous = True
    reporter.save()
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def substantiated(named_complaint: Complaint, coordinator: Any) -> Complaint:
    c = named_complaint
    for action in ("triage", "start_review", "substantiate"):
        c.refresh_from_db()
        services.complaint_transition(complaint=c, action=action, actor=coordinator, version=c.version)
    c.refresh_from_db()
    return c


@pytest.fixture(autouse=True)
def _english_pages(settings):
    """The assertions read English; pages default to Russian (LANGUAGE_CODE) when no language is asked for."""
    settings.LANGUAGE_CODE = "en"
