"""Staff pages in a real browser: the queue on a 390 px phone, and the admin in Russian."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils.translation import trans_real

from tests.e2e.conftest import PASSWORD
from tests.test_admin_i18n import SAME_IN_EVERY_LANGUAGE

pytestmark = [pytest.mark.e2e]

LATIN = re.compile(r"[A-Za-z]")


def test_the_queue_fits_a_390px_phone(browse: Any, people: dict[str, Any], file_complaint: Any) -> None:
    for i in range(3):
        file_complaint(description=f"Очень длинное описание без пробелов {'Экибастузтранс' * 8} №{i}")
    page = browse.new_page(phone=True)
    assert page.viewport_size["width"] == 390
    browse.login(page, "coordinator")
    page.goto(browse.url("/queue/"))
    page.locator("table, .queue").first.wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the queue is {overflow}px wider than a 390px screen"
    page.locator("details summary").first.click()  # the filters, opened
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the queue with its filters open is {overflow}px wider than a 390px screen"
    browse.shot(page, "queue-390px")


ADMIN_PAGES = [
    "/admin/",
    "/admin/complaints/complaint/",
    "/admin/complaints/territorialunit/",
    "/admin/complaints/auditevent/",
    "/admin/complaints/category/",
    "/admin/complaints/submission/",
    "/admin/complaints/outboxmessage/",
    "/admin/complaints/webhookdelivery/",
    "/admin/auth/user/",
]


def test_admin_in_russian_has_no_english_column_header(browse: Any, roles: None, file_complaint: Any) -> None:
    get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    file_complaint()
    catalog: set[str] = set()
    for part in trans_real.translation("ru")._catalog._catalogs:  # every app's Russian catalog
        catalog.update(v.lower() for v in part.values() if isinstance(v, str))
    page = browse.new_page(phone=False)
    browse.login(page, "root")
    problems: list[str] = []
    for url in ADMIN_PAGES:
        response = page.goto(browse.url(url))
        assert response is not None, url
        assert response.status == 200, url
        assert page.locator("html").get_attribute("lang") == "ru", url
        cells = page.locator("#result_list thead th div.text, #changelist-filter h3")
        headers = [t.strip() for t in cells.all_text_contents()]
        for text in filter(None, headers):
            if LATIN.search(SAME_IN_EVERY_LANGUAGE.sub("", text)):
                problems.append(f"{url}: English header “{text}”")
            elif text.lower() not in catalog and text.lower().removeprefix("по ") not in catalog:
                problems.append(f"{url}: header “{text}” is not a Russian catalog entry")
    assert problems == [], "\n".join(problems)
