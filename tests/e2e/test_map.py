"""The public map on a phone: it fits a 390 px screen, and a region's link opens the filtered case list.

Then a coordinator's dashboard on a desktop: a time-series bar opens the queue filtered to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def filed(people: dict[str, Any], file_complaint: Any, settings: Any) -> list[Any]:
    settings.PUBLIC_STATS_MIN_COUNT = 5
    return [file_complaint() for _ in range(6)]  # Pavlodar: 6, above the floor


def test_the_public_map_fits_a_phone_and_a_region_links_to_its_cases(browse: Any, election: Any, filed: Any) -> None:
    page = browse.new_page()  # 390 px wide
    page.goto(browse.url(f"/stats/?election={election.slug}"))
    svg = page.locator("#public-map svg.map__svg")
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box is not None
    assert 300 < box["width"] <= 390
    expect(page.locator("#public-map path[data-region]")).to_have_count(16)
    link = page.locator('#public-map a[data-region="pav"]')
    expect(link).to_have_attribute("aria-label", "Павлодарская область: 6")
    href = link.get_attribute("href") or ""
    assert urlparse(href).path == "/cases/"
    assert parse_qs(urlparse(href).query) == {"election": [election.slug], "region": ["pav"]}
    browse.shot(page, "map-01-public-phone")
    link.click()
    page.wait_for_url("**/cases/?*region=pav*")
    assert page.url.endswith(href)
    expect(page.locator("main")).to_be_visible()  # the published cases list answers (200, no error page)
    assert page.locator("h1").count() >= 1


def test_a_dashboard_time_bar_opens_the_queue_filtered_to_it(browse: Any, election: Any, filed: Any) -> None:
    page = browse.new_page(phone=False)
    browse.login(page, "coordinator")
    page.goto(browse.url(f"/dashboard/?election={election.pk}"))
    expect(page.locator("#staff-map path[data-region]")).to_have_count(16)
    browse.shot(page, "map-02-dashboard")
    page.locator("figure.tchart a.tchart__link").first.click()
    page.wait_for_url("**/queue/?*created_from=*")
    expect(page.locator("a.code-link")).to_have_count(6)
