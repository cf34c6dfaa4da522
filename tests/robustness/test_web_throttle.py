"""The web status form and filing form have the API's limits, counted in the shared cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from complaints.models import Complaint
from tests.api.conftest import API

pytestmark = pytest.mark.django_db

GUESS = {"code": "AAAA-BBBB-CCCC", "secret": "wrong"}


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.9.9.9")


def test_status_form_guesses_are_limited_with_a_page_that_says_when_to_try_again(browser, rates):
    rates(anon_status="3/minute")
    for _ in range(3):
        assert browser.post(reverse("web-status"), GUESS).status_code == 400
    response = browser.post(reverse("web-status"), GUESS)
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 60
    html = response.content.decode()
    assert "Too many attempts" in html
    assert f"{wait} second" in html
    # Showing the empty form is not a guess; another address has its own count.
    assert browser.get(reverse("web-status")).status_code == 200
    assert Client(REMOTE_ADDR="10.9.9.8").post(reverse("web-status"), GUESS).status_code == 400


def test_the_429_page_is_in_the_site_language(browser, rates):
    rates(anon_status="1/minute")
    browser.post(reverse("web-status"), GUESS)
    response = browser.post(reverse("web-status"), GUESS, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 429
    assert '<html lang="ru">' in response.content.decode()


def test_web_and_api_lookups_share_one_count(browser, rates):
    rates(anon_status="2/minute")
    assert browser.post(reverse("web-status"), GUESS).status_code == 400
    api = browser.post(f"{API}/status/", GUESS, content_type="application/json")
    assert api.status_code == 404
    assert browser.post(reverse("web-status"), GUESS).status_code == 429


def test_anonymous_web_filing_is_limited(browser, rates, web_form):
    rates(anon_filing="2/minute")
    for _ in range(2):
        assert browser.post(reverse("web-file"), web_form()).status_code == 302
    response = browser.post(reverse("web-file"), web_form())
    assert response.status_code == 429
    assert "Retry-After" in response
    assert Complaint.objects.count() == 2
    # The XHR form (app.js) gets its JSON error shape, with the same message.
    xhr = browser.post(reverse("web-file"), web_form(), HTTP_ACCEPT="application/json")
    assert xhr.status_code == 429
    assert "second" in xhr.json()["errors"]["__all__"][0]["message"]
    # Showing the form is not limited.
    assert browser.get(reverse("web-file")).status_code == 200


def test_the_count_lives_in_the_django_cache(browser, rates):
    """The cache is what worker processes share (Redis in the full stack)."""
    rates(anon_status="1/minute")
    browser.post(reverse("web-status"), GUESS)
    assert browser.post(reverse("web-status"), GUESS).status_code == 429
    cache.clear()
    assert browser.post(reverse("web-status"), GUESS).status_code == 400


def test_signed_in_filers_are_not_limited_like_the_api(browser, rates, web_form, make_user):
    rates(anon_filing="1/minute")
    browser.force_login(make_user("observer"))
    for _ in range(2):
        assert browser.post(reverse("web-file"), web_form()).status_code == 302
