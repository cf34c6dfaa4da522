"""NUL bytes in query strings and form fields: 400 naming the field, never a database error."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from complaints.models import Complaint
from tests.api.conftest import API, error_of

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    ("/file/stations.json", "q"),
    ("/stats/", "election"),
    ("/stats/open-data.csv", "election"),
]


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize(("path", "param"), PUBLIC_PAGES)
def test_nul_in_the_query_string_of_a_public_page_is_a_400_page_naming_the_parameter(client, election, path, param):
    response = client.get(path, {param: "51\x002"})
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert param in html
    assert "NUL" in html


def test_nul_in_a_json_fetch_of_the_station_search_gets_json(client, election):
    response = client.get("/file/stations.json", {"q": "\x00"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    assert "q" in body["errors"]


def test_nul_in_the_query_string_of_the_public_stats_api_is_a_json_400(client, election):
    response = client.get(f"{API}/public/stats/", {"election": "kz\x00"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "null_character"
    assert error["fields"]["election"][0]["code"] == "null_character"


def test_nul_in_a_query_parameter_name_is_refused_too(client, election):
    response = client.get(f"{API}/public/stats/?ele%00ction=1")
    assert response.status_code == 400
    assert error_of(response)["code"] == "null_character"


def test_nul_in_a_percent_encoded_query_of_an_authenticated_api_list(client_for, people):
    api = client_for(people["reviewer"])
    api.raise_request_exception = False
    response = api.get(f"{API}/complaints/?category=a%00b")
    assert response.status_code == 400
    assert "category" in error_of(response)["fields"]


def test_nul_in_a_web_form_field_is_a_400_and_nothing_is_filed(client, web_form):
    response = client.post(reverse("web-file"), web_form(place_text="Школа\x00№5", station=""))
    assert response.status_code == 400
    assert "place_text" in response.content.decode()
    assert not Complaint.objects.exists()


def test_nul_in_the_status_form_is_a_400(client):
    response = client.post(reverse("web-status"), {"code": "AAAA-BBBB-CCCC", "secret": "x\x00"})
    assert response.status_code == 400
    assert "secret" in response.content.decode()


def test_text_without_nul_still_passes(client, election):
    assert client.get("/file/stations.json", {"q": "512"}).status_code == 200
    assert client.get(f"{API}/public/stats/").status_code == 200


@pytest.mark.parametrize("path", ["/status/AB%00CD/", "/complaints/AB%00CD/", f"{API}/complaints/AB%00CD/"])
def test_nul_in_the_path_is_not_found_before_any_lookup(client, path, make_user):
    client.force_login(make_user("admin"))
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith(API):
        assert error_of(response)["code"] == "not_found"
