"""A coordinator generates the formal complaint document of a substantiated complaint from its page, in Kazakh.

The downloaded PDF is turned into text and must hold the receipt code, the polling station,
the legal article, each evidence SHA-256 and the Kazakh letters; printing the page prints
no form, button or navigation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from complaints import services
from complaints.models import GeneratedDocument
from tests.documents.conftest import KAZAKH_FACTS, KAZAKH_LETTERS, LEGAL, flat, pdf_text
from tests.images import png_bytes

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def substantiated_case(roles: None, make_user: Any, territory: dict[str, Any], election: Any, category: Any) -> Any:
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    category.legal_reference = LEGAL
    category.save()
    coordinator = make_user(
        "coordinator", [territory["kz"]], username="doc_coordinator", first_name="Марат", last_name="Омаров"
    )
    observer = make_user("observer", username="doc_observer", first_name="Ерлан", last_name="Байкенов")
    complaint = services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now() - timedelta(hours=1),
        description=KAZAKH_FACTS,
        reporter_user=observer,
        full_name="Ерлан Байкенов",
        files=[
            SimpleUploadedFile("участок.png", png_bytes((10, 120, 60)), content_type="image/png"),
            SimpleUploadedFile("хаттама.png", png_bytes((200, 40, 40)), content_type="image/png"),
        ],
    ).complaint
    for action in ("triage", "start_review", "substantiate"):
        complaint.refresh_from_db()
        services.complaint_transition(complaint=complaint, action=action, actor=coordinator, version=complaint.version)
    complaint.refresh_from_db()
    return complaint


def test_coordinator_generates_the_kazakh_pdf_and_downloads_it(browse, substantiated_case, tmp_path: Path):
    complaint = substantiated_case
    page = browse.new_page(phone=False)
    browse.login(page, "doc_coordinator")
    page.goto(browse.url(f"/complaints/{complaint.code}/"))
    section = page.locator("[data-documents]")
    expect(section).to_be_visible()
    details = section.locator("details[data-action=document]")
    details.locator("summary").click()
    details.locator("input[name=language][value=kk]").check()
    details.locator("input[name=format][value=pdf]").check()
    expect(details.locator("[name=legal_basis]")).to_have_value(LEGAL)  # the category's article, editable
    details.locator("[name=organisation]").fill("«Адал сайлау» қоғамдық бірлестігі")
    details.locator("[name=respondent]").fill("Жұмыс беруші — «Экибастузтранс» ЖШС директоры")
    browse.shot(page, "documents-01-form")
    details.locator("button[type=submit]").click()
    expect(page.locator(".notice--success")).to_be_visible()
    item = section.locator("[data-document]")
    expect(item).to_have_count(1)
    document = GeneratedDocument.objects.get(complaint=complaint)
    expect(item).to_contain_text(document.sha256)
    browse.shot(page, "documents-02-generated")

    with page.expect_download() as info:
        item.locator("[data-download]").click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert download.suggested_filename == f"complaint-{complaint.code}-v1-kk.pdf"
    assert hashlib.sha256(data).hexdigest() == document.sha256
    text = pdf_text(data)
    compact = flat(text)
    assert complaint.code in compact
    assert "512" in text
    assert flat("Экибастуз, ул. Ленина 10, школа №5") in compact
    assert flat(LEGAL) in compact
    for evidence in complaint.evidence.all():
        assert evidence.sha256 in compact
    for letter in KAZAKH_LETTERS:
        assert letter in text, letter
    assert "ШАҒЫМ" in text

    # The timeline records it.
    page.reload()
    expect(page.locator(".timeline")).to_contain_text(document.sha256)

    # Printing the case prints no forms, buttons or navigation.
    page.emulate_media(media="print")
    for selector in ("nav.nav", ".site-header", "details[data-action=document]", "form", "button"):
        for element in page.locator(selector).all():
            expect(element).to_be_hidden()
    expect(page.locator("[data-documents] [data-document]")).to_be_visible()
    expect(page.locator(".gallery .hash").first).to_be_visible()
    browse.shot(page, "documents-03-print")
