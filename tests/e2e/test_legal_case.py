"""The legal case end to end in a browser: document, submission, rejection with its decision file,
appeal, and the chain with its next deadline on the complaint page.

The coordinator works in Russian on a desktop; the generated PDF is turned into text and must hold
the receipt code, the polling station, the legal article and every evidence SHA-256.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints.demo import legal as demo_legal
from complaints.models import Authority, AuthorityKind, AuthorityLevel, Decision, GeneratedDocument, Submission
from tests.documents.conftest import LEGAL, flat, pdf_text
from tests.e2e.test_documents import substantiated_case  # noqa: F401 - the fixture, shared
from tests.images import png_bytes

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def chain(territory: dict[str, Any]) -> dict[str, Authority]:
    demo_legal.rules_seed()
    demo_legal.holidays_seed()
    cec = Authority.objects.create(
        code="kz-cec",
        kind=AuthorityKind.COMMISSION,
        level=AuthorityLevel.CENTRAL,
        name_ru="Центральная избирательная комиссия Республики Казахстан",
        unit=territory["kz"],
    )
    pav = Authority.objects.create(
        code="pav-oec",
        kind=AuthorityKind.COMMISSION,
        level=AuthorityLevel.REGIONAL,
        name_ru="Павлодарская областная избирательная комиссия",
        unit=territory["pav"],
        appeals_to=cec,
    )
    return {"cec": cec, "pav": pav}


def _submit(details: Any) -> None:
    details.locator("button[type=submit]").click()


def test_document_submission_rejection_appeal_and_the_chain(
    browse: Any,
    substantiated_case: Any,  # noqa: F811 - the shared fixture, imported above
    chain: dict[str, Authority],
    tmp_path: Path,
) -> None:
    complaint = substantiated_case
    page = browse.new_page(phone=False)
    browse.login(page, "doc_coordinator")
    page.goto(browse.url(f"/complaints/{complaint.code}/"))

    # (1) The formal complaint, in Russian, as a PDF.
    documents = page.locator("[data-documents]")
    details = documents.locator("details[data-action=document]")
    details.locator("summary").click()
    details.locator("input[name=language][value=ru]").check()
    details.locator("input[name=format][value=pdf]").check()
    details.locator("[name=organisation]").fill("Общественное объединение «Адал сайлау»")
    _submit(details)
    expect(page.locator(".notice--success")).to_be_visible()
    document = GeneratedDocument.objects.get(complaint=complaint)
    with page.expect_download() as info:
        documents.locator("[data-document] [data-download]").first.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    data = target.read_bytes()
    assert hashlib.sha256(data).hexdigest() == document.sha256
    text = flat(pdf_text(data))
    assert complaint.code in text
    assert "512" in text
    assert flat(LEGAL) in text
    for evidence in complaint.evidence.all():
        assert evidence.sha256 in text

    # (2) Filed with the regional commission, with the registration number it gave.
    case = page.locator("[data-case]")
    form = case.locator("details[data-action=submission]")
    form.locator("summary").click()
    form.locator("[name=sub-authority]").select_option(str(chain["pav"].pk))
    form.locator("[name=sub-registration_number]").fill("ПОИК-2011/17")
    form.locator("[name=sub-document_sha256]").fill(document.sha256)
    _submit(form)
    expect(page.locator(".notice--success")).to_be_visible()
    first = Submission.objects.get(complaint=complaint)
    step = case.locator(f"[data-submission='{first.pk}']")
    expect(step).to_contain_text("Павлодарская областная избирательная комиссия")
    expect(step).to_contain_text("ПОИК-2011/17")
    expect(step).to_contain_text(document.sha256)
    expect(case.locator("[data-next-deadline=answer]")).to_be_visible()
    browse.shot(page, "case-01-submitted")

    # (3) The commission rejects it; the decision document is uploaded and hashed.
    decision_png = png_bytes((120, 20, 20))
    outcome = step.locator("details[data-action=outcome]")
    outcome.locator("summary").click()
    outcome.locator(f"[name=outcome{first.pk}-outcome]").select_option("rejected")
    outcome.locator(f"[name=outcome{first.pk}-decided_on]").fill(timezone.localdate().isoformat())
    outcome.locator(f"[name=outcome{first.pk}-text]").fill("Отказать: доводы не подтверждены.")
    outcome.locator(f"[name=outcome{first.pk}-file]").set_input_files(
        {"name": "решение.png", "mimeType": "image/png", "buffer": decision_png}
    )
    _submit(outcome)
    expect(page.locator(".notice--success")).to_be_visible()
    decision = Decision.objects.get(submission=first)
    assert decision.sha256 == hashlib.sha256(decision_png).hexdigest()
    step = case.locator(f"[data-submission='{first.pk}']")
    expect(step).to_contain_text("Отказать: доводы не подтверждены.")
    expect(step).to_contain_text(decision.sha256)
    expect(case.locator("[data-next-deadline=appeal]")).to_be_visible()
    browse.shot(page, "case-02-rejected")

    # (4) The appeal to the next body, preselected from the register.
    appeal = step.locator("details[data-action=appeal]")
    appeal.locator("summary").click()
    expect(appeal.locator(f"[name=appeal{first.pk}-authority]")).to_have_value(str(chain["cec"].pk))
    appeal.locator(f"[name=appeal{first.pk}-registration_number]").fill("ЦИК-2011/88")
    _submit(appeal)
    expect(page.locator(".notice--success")).to_be_visible()
    second = Submission.objects.get(complaint=complaint, appeal_of=first)
    steps = case.locator(".case-chain [data-submission]")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_have_attribute("data-submission", str(first.pk))
    expect(steps.nth(1)).to_have_attribute("data-submission", str(second.pk))
    expect(steps.nth(1)).to_contain_text("Центральная избирательная комиссия Республики Казахстан")
    expect(steps.nth(1)).to_contain_text("ЦИК-2011/88")
    nd = case.locator("[data-next-deadline]")
    expect(nd).to_have_attribute("data-next-deadline", "answer")
    assert second.answer_due_at is not None
    browse.shot(page, "case-03-appealed")

    # The timeline tells the same story.
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("ПОИК-2011/17")
    expect(timeline).to_contain_text("ЦИК-2011/88")
