"""One client address for throttles and login locking: X-Forwarded-For only from TRUSTED_PROXY_COUNT hops."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from complaints.api.throttling import client_ip
from tests.api.conftest import API


def meta(remote: str = "10.0.0.1", forwarded: str | None = None) -> Any:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.1", "1.1.1.1", "10.0.0.1"),  # no proxy trusted: the header is ignored
        (1, "10.0.0.1", None, "10.0.0.1"),
        (1, "10.0.0.1", "1.1.1.1", "1.1.1.1"),
        (1, "10.0.0.1", "6.6.6.6, 1.1.1.1", "1.1.1.1"),  # the client's own "6.6.6.6" is not believed
        (2, "10.0.0.2", "6.6.6.6, 1.1.1.1, 10.0.0.1", "1.1.1.1"),
        (2, "10.0.0.2", "1.1.1.1", "1.1.1.1"),  # fewer hops than proxies: the farthest one
        (1, "10.0.0.1", "not-an-ip", "10.0.0.1"),
        (1, "10.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_the_configured_number_of_proxies(settings, count, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(meta(remote, forwarded)) == expected


def test_drf_and_axes_read_the_same_setting(settings):
    from rest_framework.settings import api_settings

    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT
    assert api_settings.NUM_PROXIES == settings.TRUSTED_PROXY_COUNT
    assert settings.AXES_CLIENT_IP_CALLABLE == "complaints.api.throttling.client_ip"


@pytest.mark.django_db
def test_behind_one_proxy_each_client_has_its_own_filing_limit(settings, anon, filing_payload, rates):
    settings.TRUSTED_PROXY_COUNT = 1
    rates(anon_filing="1/minute")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = anon.post(f"{API}/complaints/", filing_payload(), format="json", HTTP_X_FORWARDED_FOR="1.1.1.1", **proxy)
    assert first.status_code == 201
    again = anon.post(f"{API}/complaints/", filing_payload(), format="json", HTTP_X_FORWARDED_FOR="1.1.1.1", **proxy)
    assert again.status_code == 429
    spoofed = anon.post(
        f"{API}/complaints/", filing_payload(), format="json", HTTP_X_FORWARDED_FOR="7.7.7.7, 1.1.1.1", **proxy
    )
    assert spoofed.status_code == 429
    other = anon.post(f"{API}/complaints/", filing_payload(), format="json", HTTP_X_FORWARDED_FOR="2.2.2.2", **proxy)
    assert other.status_code == 201


@pytest.mark.django_db
def test_login_locking_uses_the_client_address_behind_the_proxy(settings, make_user):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = 1
    make_user("reviewer", username="rev", password="right-password-1")
    browser = Client(REMOTE_ADDR="10.0.0.1")

    def login(forwarded: str, password: str) -> Any:
        return browser.post(reverse("login"), {"username": "rev", "password": password}, HTTP_X_FORWARDED_FOR=forwarded)

    for _ in range(2):
        login("1.1.1.1", "wrong")
    assert login("1.1.1.1", "right-password-1").status_code == 429  # locked: the attacker's address
    # Another client behind the same proxy is not locked out.
    response = login("2.2.2.2", "right-password-1")
    assert response.status_code == 302, response.status_code
