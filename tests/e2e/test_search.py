"""Staff search in a real browser: the queue's one search box finds a declined town name and a description word."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.e2e]


def test_a_reviewer_finds_a_complaint_by_a_town_name_in_another_case_and_by_a_word(
    browse: Any, people: dict[str, Any], file_complaint: Any, territory: dict[str, Any]
) -> None:
    wanted = file_complaint(description="На педсовете директор велел учителям проголосовать до десяти утра.")
    other = file_complaint(polling_station=territory["ps_ala"], description="Наблюдателя не пустили на подсчёт.")
    page = browse.new_page(phone=True)
    browse.login(page, "coordinator")
    page.goto(browse.url("/queue/"))
    for typed in ("Экибастузе", "педсовет"):  # "в Экибастузе" (the unit is "Экибастуз"); "на педсовете"
        box = page.get_by_role("searchbox")
        box.fill(typed)
        box.press("Enter")
        page.wait_for_url("**q=*")
        shown = page.locator("a.code-link code").all_inner_texts()
        assert shown == [wanted.code], (typed, shown)
        assert other.code not in page.locator("main").inner_text()
        assert page.get_by_role("searchbox").input_value() == typed
    browse.shot(page, "queue-search")
