"""/my/ lists a signed-in filer's complaints whatever the place: station, region or words only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import API

pytestmark = pytest.mark.django_db


def test_my_complaints_shows_a_complaint_with_only_a_place_in_words(
    make_user, client_for, filing_payload, web_form, territory
):
    user = make_user("observer", username="filer")
    api = client_for(user)
    payload = filing_payload(polling_station=None, place_text="Двор дома по ул. Абая, 10")
    created = api.post(f"{API}/complaints/", payload, format="json")
    assert created.status_code == 201, created.content
    browser = Client(raise_request_exception=False)
    browser.force_login(user)
    # The same through the web form, signed in and named.
    form = web_form(station="", place_text="Остановка у рынка", identity="named")
    assert browser.post(reverse("web-file"), form).status_code == 302
    # And one with a region but no station, for completeness.
    with_region = web_form(station="", region=territory["pav"].pk, identity="named")
    assert browser.post(reverse("web-file"), with_region).status_code == 302

    page = browser.get(reverse("web-my"))
    assert page.status_code == 200, page.content[:500]
    html = page.content.decode()
    assert "Двор дома по ул. Абая, 10" in html
    assert "Остановка у рынка" in html
    assert created.json()["code"] in html
