"""A coordinator publishes a case in the browser; the public page serves only the stripped copy; the Atom feed parses.

The coordinator works in Russian on a desktop: writes the summary, chooses one photo (both hashes
shown), is warned that few complaints came from the station, acknowledges, publishes. An anonymous
visitor then sees the case, and every image on it is the copy whose SHA-256 is ``public_sha256``.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from playwright.sync_api import expect

from complaints.models import PublishedCase
from tests.e2e.test_documents import substantiated_case  # noqa: F401 - the fixture, shared
from tests.publication.conftest import make_ready

pytestmark = [pytest.mark.e2e]
ATOM = "{http://www.w3.org/2005/Atom}"
SUMMARY = "Директор предприятия в Экибастузе требовал от сотрудников фотографии заполненных бюллетеней."


def test_a_coordinator_publishes_and_the_public_sees_only_the_stripped_copy(
    browse: Any,
    substantiated_case: Any,  # noqa: F811 - the shared fixture, imported above
) -> None:
    complaint = substantiated_case
    photos = [make_ready(e) for e in complaint.evidence.order_by("pk")]
    chosen = photos[0]
    page = browse.new_page(phone=False)
    browse.login(page, "doc_coordinator")
    page.goto(browse.url(f"/complaints/{complaint.code}/"))

    section = page.locator("[data-publication]")
    form = section.locator("details[data-action=publish]")
    form.locator("summary").first.click()
    expect(form.locator(f"[data-evidence='{chosen.pk}']")).to_contain_text(chosen.public_sha256)
    expect(form.locator(f"[data-evidence='{chosen.pk}']")).to_contain_text(chosen.sha256)
    form.locator("[name=summary]").fill(SUMMARY + " Заявитель — Байкенов.")
    form.locator(f"[data-evidence='{chosen.pk}'] input").check()
    form.locator("button[type=submit]").click()
    # Refused: the summary names the reporter; nothing is published.
    form = page.locator("[data-publication] details[data-action=publish]")
    expect(form.locator(".error-summary")).to_contain_text("имя заявителя")
    assert not PublishedCase.objects.exists()

    form.locator("[name=summary]").fill(SUMMARY)
    form.locator("button[type=submit]").click()
    form = page.locator("[data-publication] details[data-action=publish]")
    warnings = form.locator("[data-publication-warnings]")
    expect(warnings).to_be_visible()  # one complaint from this station, and a photo taken there
    browse.shot(page, "publication-01-warnings")
    warnings.locator("[name=acknowledge_warnings]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages .notice--success")).to_be_visible()
    case = PublishedCase.objects.get(complaint=complaint)
    # The refusal and the warnings answered 400 (the form again, with what to fix): the browser logs both.
    expected = [p for p in browse.problems if "/publish/" in p and "status of 400" in p]
    assert len(expected) == 2
    browse.problems[:] = [p for p in browse.problems if p not in expected]
    expect(page.locator(f"[data-published='{case.slug}']")).to_be_visible()

    public = browse.new_page(phone=True)
    public.goto(browse.url(f"/cases/{case.slug}/"))
    expect(public.locator("[data-summary]")).to_contain_text("фотографии заполненных бюллетеней")
    html = public.content()
    assert complaint.code not in html
    assert "Байкенов" not in html
    images = public.locator("main img")
    expect(images).to_have_count(1)
    src = images.first.get_attribute("src")
    assert src == f"/cases/{case.slug}/evidence/1/"
    served = public.request.get(browse.url(src)).body()
    assert hashlib.sha256(served).hexdigest() == chosen.public_sha256
    assert hashlib.sha256(served).hexdigest() != chosen.sha256
    expect(public.locator("[data-public-sha256]")).to_have_text(chosen.public_sha256)
    browse.shot(public, "publication-02-public-case")

    feed = public.request.get(browse.url("/cases/feed.atom"))
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.body())  # noqa: S314 - our own feed, in a test
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert entries[0].find(f"{ATOM}id").text == browse.url(f"/cases/{case.slug}/")
    assert SUMMARY in entries[0].find(f"{ATOM}summary").text
    regional = ET.fromstring(public.request.get(browse.url("/cases/feed/pav.atom")).body())  # noqa: S314 - our own feed, in a test
    assert len(regional.findall(f"{ATOM}entry")) == 1
    elsewhere = ET.fromstring(public.request.get(browse.url("/cases/feed/ala.atom")).body())  # noqa: S314 - our own feed, in a test
    assert elsewhere.findall(f"{ATOM}entry") == []
