"""A shared phone in a real browser: the draft never keeps who the filer is, and the device can be cleared."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from complaints.models import Complaint

pytestmark = [pytest.mark.e2e]

DESCRIPTION = "Бригадир велел всей смене голосовать на участке №512 и показать ему бюллетень."
NAME = "Гульнара Касымова"
PHONE = "+7 701 555 12 34"
EMAIL = "gulnara@example.org"


def _storage(page: Any) -> dict[str, str]:
    return page.evaluate(
        "() => { const o = {}; for (let i = 0; i < localStorage.length; i++) {"
        " const k = localStorage.key(i); o[k] = localStorage.getItem(k); } return o; }"
    )


def test_the_draft_keeps_the_text_never_the_name_and_phone_and_goes_on_submit(browse, people, election, territory):
    page = browse.new_page()
    page.goto(browse.url("/file/"))
    page.select_option("#id_category", label="Давление работодателя")
    page.fill("#id_description", DESCRIPTION)
    page.locator("input[name=identity][value=named]").check()
    page.fill("#id_full_name", NAME)
    page.fill("#id_phone", PHONE)
    page.fill("#id_email", EMAIL)
    page.wait_for_timeout(500)  # the draft is saved 300 ms after typing stops

    stored = json.dumps(_storage(page), ensure_ascii=False)
    assert DESCRIPTION in stored
    for identity in (NAME, PHONE, EMAIL, "named"):
        assert identity not in stored

    page.reload()
    expect(page.locator("[data-draft-notice]")).to_be_visible()
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    expect(page.locator("#id_full_name")).to_have_value("")
    expect(page.locator("#id_phone")).to_have_value("")
    expect(page.locator("#id_email")).to_have_value("")
    browse.shot(page, "11-draft-without-identity")

    page.fill("#id_station", "512")
    page.locator("[data-station-results] button").first.click()
    page.click("[data-submit]")
    page.wait_for_url(re.compile(r"/file/receipt/$"))
    code = page.locator("#receipt-code").inner_text()
    assert Complaint.objects.get(code=code).reporter.is_anonymous
    assert not [k for k in _storage(page) if k.startswith("complaint-draft")]
    page.goto(browse.url("/file/"))
    expect(page.locator("[data-draft-notice]")).to_be_hidden()
    expect(page.locator("#id_description")).to_have_value("")


def test_forget_this_device_clears_the_browser(browse, people, election, territory):
    page = browse.new_page()
    browse.login(page, "observer")
    page.goto(browse.url("/file/"))
    page.fill("#id_description", DESCRIPTION)
    page.wait_for_timeout(500)
    page.evaluate("() => { sessionStorage.setItem('x', '1'); localStorage.setItem('other', '1'); }")
    assert _storage(page)

    page.get_by_role("button", name="Забыть это устройство").click()
    expect(page.locator("h1")).to_have_text("Устройство очищено")
    assert _storage(page) == {}
    assert page.evaluate("() => sessionStorage.length") == 0
    assert not [c for c in page.context.cookies() if c["name"] in ("sessionid", "unlocked", "receipt")]
    browse.shot(page, "11-device-forgotten")
    # Signed out, and the next person finds an empty form.
    expect(page.get_by_role("link", name="Войти")).to_be_visible()
    page.goto(browse.url("/file/"))
    expect(page.locator("#id_description")).to_have_value("")


def test_signing_out_clears_the_draft(browse, people, election, territory):
    page = browse.new_page()
    browse.login(page, "observer")
    page.goto(browse.url("/file/"))
    page.fill("#id_description", DESCRIPTION)
    page.wait_for_timeout(500)
    assert _storage(page)
    page.locator("form[action='/accounts/logout/'] button").click()
    page.wait_for_url(browse.url("/"))
    assert not [k for k in _storage(page) if k.startswith("complaint-draft")]
