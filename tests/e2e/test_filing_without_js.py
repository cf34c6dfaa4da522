"""Issue 14's JavaScript-disabled acceptance: an error on resubmission keeps or clearly asks again
for the files; no complaint is stored with fewer files than were attached without saying so.

Also the filing polish in a real browser: the error summary fits a 390 px screen, and with
script the category filter narrows the grouped list.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints.models import Category, Complaint, HeldUpload
from tests.images import png_bytes

pytestmark = [pytest.mark.e2e]

DESCRIPTION = "На участке №512 раздавали продуктовые наборы за голос, видели трое наблюдателей."
CATEGORY = "Давление работодателя"
SUMMARY = ".error-summary[data-focus-on-load]"  # the server's (the script's own stays hidden)


def _file(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


def _start(page: Any, browse: Any) -> None:
    page.goto(browse.url("/file/"))
    page.select_option("#id_category", label=CATEGORY)
    page.fill("#id_station", "512")


def _submit(page: Any) -> None:
    with page.expect_navigation():
        page.click("button[type=submit].button--big")


def _drop_expected_refusals(browse: Any) -> None:
    """The form sent back answered 400, as it should: the browser logs each; only those are dropped."""
    browse.problems[:] = [p for p in browse.problems if not ("/file/" in p and "status of 400" in p)]


def _fits(page: Any, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    width = page.viewport_size["width"]
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width, (box, width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_without_js_two_photos_survive_an_error_and_are_filed_with_their_sha256(
    browse, people, election, territory, jpeg_bytes
):
    page = browse.new_page(js=False)  # 390 px wide
    _start(page, browse)
    png = png_bytes((240, 200, 0))
    page.set_input_files(
        "#id_files", [_file("набор.png", "image/png", png), _file("очередь.jpg", "image/jpeg", jpeg_bytes)]
    )
    _submit(page)  # no description: sent back

    summary = page.locator(SUMMARY)
    expect(summary).to_be_visible()
    expect(summary.locator('a[href="#id_description"]')).to_be_visible()
    held = page.locator("[data-held-file]")
    expect(held).to_have_count(2)
    expect(held.nth(0)).to_contain_text("набор.png")
    expect(held.nth(1)).to_contain_text("очередь.jpg")
    _fits(page, SUMMARY)
    _fits(page, "[data-held-files]")
    browse.shot(page, "14-nojs-files-kept")  # also fails the test on any sideways scroll
    assert not Complaint.objects.exists()

    page.fill("#id_description", DESCRIPTION)
    _submit(page)
    page.wait_for_url(re.compile(r"/file/receipt/$"))
    complaint = Complaint.objects.get(code=page.locator("#receipt-code").inner_text())
    assert {e.original_name: e.sha256 for e in complaint.evidence.all()} == {
        "набор.png": hashlib.sha256(png).hexdigest(),
        "очередь.jpg": hashlib.sha256(jpeg_bytes).hexdigest(),
    }
    assert not HeldUpload.objects.exists()
    _drop_expected_refusals(browse)


def test_without_js_a_file_to_attach_again_is_announced_and_never_dropped_silently(
    browse, people, election, territory, jpeg_bytes
):
    page = browse.new_page(js=False)
    _start(page, browse)
    page.fill("#id_description", DESCRIPTION)
    page.set_input_files(
        "#id_files",
        [
            _file("очередь.jpg", "image/jpeg", jpeg_bytes),
            _file("программа.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 300),
        ],
    )
    _submit(page)  # the program is refused; the photo is kept
    expect(page.locator(SUMMARY)).to_contain_text("программа.exe")
    expect(page.locator("[data-held-file]")).to_have_count(1)
    expect(page.locator("[data-held-file]")).to_contain_text("очередь.jpg")
    _fits(page, SUMMARY)

    # The kept photo expires before the form is sent again: the filer is told, nothing is filed.
    HeldUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    _submit(page)
    summary = page.locator(SUMMARY)
    expect(summary).to_contain_text("очередь.jpg")
    expect(summary).to_contain_text("Прикрепите его ещё раз")
    expect(page.locator("[data-held-file]")).to_have_count(0)
    assert not Complaint.objects.exists()
    browse.shot(page, "14-nojs-attach-again")

    page.set_input_files("#id_files", [_file("очередь.jpg", "image/jpeg", jpeg_bytes)])
    _submit(page)
    page.wait_for_url(re.compile(r"/file/receipt/$"))
    complaint = Complaint.objects.get()
    assert [e.sha256 for e in complaint.evidence.all()] == [hashlib.sha256(jpeg_bytes).hexdigest()]
    _drop_expected_refusals(browse)


def test_with_js_the_category_filter_narrows_the_grouped_list(browse, people, election, territory):
    ballot = Category.objects.create(code="ballot", name_ru="Нарушения с бюллетенями", name_kk="b", name_en="b")
    Category.objects.create(code="ballot.carousel", parent=ballot, name_ru="«Карусель»", name_kk="c", name_en="c")
    Category.objects.create(
        code="ballot.stuffing", parent=ballot, name_ru="Вброс бюллетеней", name_kk="s", name_en="s", help_ru="Пачкой."
    )
    page = browse.new_page()
    page.goto(browse.url("/file/"))
    expect(page.locator("optgroup[label='Нарушения с бюллетенями'] option")).to_have_count(3)
    page.fill("[data-category-filter]", "карус")
    expect(page.locator("#id_category option[value]:not([value=''])")).to_have_count(1)
    expect(page.locator("#id_category")).to_have_value(str(Category.objects.get(code="ballot.carousel").pk))
    page.fill("[data-category-filter]", "пачк")  # the help text counts too
    expect(page.locator("[data-category-help]")).to_be_hidden()  # the carousel stays chosen: no help
    page.fill("[data-category-filter]", "")
    page.select_option("#id_category", label="Вброс бюллетеней")
    expect(page.locator("[data-category-help]")).to_have_text("Пачкой.")
    browse.shot(page, "14-category-filter")
