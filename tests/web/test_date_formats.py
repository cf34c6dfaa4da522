"""Dates in English are international (3 Apr 2011, 14:05), never the US 04/03/2011, and one style per page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from complaints import services

US_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")
TWELVE_HOUR = re.compile(r"\b\d{1,2}(:\d{2})?\s?[ap]\.?m\.?(?![a-z])", re.IGNORECASE)
STYLES = {
    "en": re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}(, \d{2}:\d{2})?$"),
    "ru": re.compile(r"^\d{2}\.\d{2}\.\d{4}( \d{2}:\d{2})?$"),
    "kk": re.compile(r"^\d{2}\.\d{2}\.\d{4}( \d{2}:\d{2})?$"),
}


class _Times(HTMLParser):
    """The text of every <time> element."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "time":
            self._open = True
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "time":
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[-1] += data


def _times(html: str) -> list[str]:
    parser = _Times()
    parser.feed(html)
    return [t.strip() for t in parser.texts]


@pytest.fixture
def busy_complaint(file_complaint, coordinator):
    complaint = file_complaint()
    services.complaint_assign(complaint=complaint, assignee=coordinator, actor=coordinator)
    services.note_add(complaint=complaint, actor=coordinator, body="Позвонить наблюдателю.")
    return complaint


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_staff_pages_show_one_date_style_and_never_the_us_one(client, coordinator, busy_complaint, lang):
    client.force_login(coordinator)
    pages = [
        reverse("web-queue"),
        reverse("web-complaint", args=[busy_complaint.code]),
    ]
    for url in pages:
        with translation.override(lang):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200
        html = response.content.decode()
        text = re.sub(r"<[^>]+>", " ", html)
        assert not US_DATE.search(text), (url, US_DATE.search(text))
        assert not TWELVE_HOUR.search(text), (url, TWELVE_HOUR.search(text))
        shown = [t for t in _times(html) if t]
        assert shown, url
        off_style = [t for t in shown if not STYLES[lang].match(t)]
        assert not off_style, (url, off_style)
