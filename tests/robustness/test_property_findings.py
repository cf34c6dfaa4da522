"""Regression tests for what the property layer (test_properties.py) found, one per finding."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import API, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", f"{API}/schema/"),  # drf-spectacular rendered its 405 as OpenAPI YAML
        ("post", f"{API}/docs/"),  # a bare "405 Method Not Allowed"
        ("post", f"{API}/schema/case-file/v1.json"),  # require_GET: an empty body
    ],
)
def test_a_method_an_api_address_does_not_accept_is_a_405_in_the_error_format(client, method, path):
    response = getattr(client, method)(path, data=b"{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    error = error_of(response)
    assert error["code"] == "method_not_allowed"
    assert method.upper() in error["message"]
    assert "GET" in response["Allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/accounts/logout/"), ("get", "/device/forget/"), ("post", "/stats/"), ("post", "/audit/public-key")],
)
def test_a_method_a_page_does_not_accept_is_a_405_page_that_says_so(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert f"does not accept {method.upper()}" in html
    assert response["Allow"]


def test_the_405_page_speaks_the_request_language():
    response = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/accounts/logout/")
    assert response.status_code == 405
    assert '<html lang="ru"' in response.content.decode()
    assert "GET" in response.content.decode()


def test_a_405_fetch_from_app_js_gets_json(client):
    response = client.post("/file/stations.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 405
    body = response.json()
    assert body["ok"] is False
    assert body["errors"]["__all__"][0]["code"] == "method_not_allowed"


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "image/png"])
def test_an_api_error_is_json_whatever_the_accept_header(client, accept):
    """The schema view negotiated its YAML renderer for its own errors (406 here)."""
    response = client.get(f"{API}/schema/", HTTP_ACCEPT=accept)
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_acceptable"


def test_a_405_of_the_schema_keeps_its_allow_header_and_json(client):
    response = client.post(f"{API}/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "GET" in response["Allow"]


def test_an_error_of_the_api_docs_page_is_json_too(client):
    """The docs page's HTML renderer answered a bare "406 Not Acceptable"."""
    response = client.get(f"{API}/docs/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_acceptable"


@pytest.mark.parametrize("target", ["537", "web-queue", "queue"])
def test_a_next_that_is_not_a_path_goes_back_to_the_queue(client, make_user, target):
    """``redirect()`` read a ``next`` without a slash as a view name: NoReverseMatch, a 500."""
    client.force_login(make_user("coordinator"))
    response = client.post("/queue/assign/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/queue/"


def test_the_second_factor_with_a_next_that_is_not_a_path_goes_to_the_devices_page(client, make_user):
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from complaints.web.two_factor import BACKUP_NAME

    user = make_user("reviewer")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    StaticToken.objects.create(device=StaticDevice.objects.create(user=user, name=BACKUP_NAME), token="abcd2345")
    client.force_login(user)
    response = client.post("/accounts/two-factor/verify/?next=537", {"code": "abcd2345", "next": "537"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/"
