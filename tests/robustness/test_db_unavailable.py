"""The database unreachable: 503 with Retry-After (JSON on the API, a plain page on the web), then recovery.

Simulated on SQLite by making every new cursor fail the way a lost server does
(the driver's OperationalError, wrapped by Django); tests/integration/test_db_outage.py
stops a real PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from complaints.models import Complaint
from tests.api.conftest import API, error_of


@pytest.fixture
def db_down(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every query fails until ``up()`` is called."""
    wrapper = type(connections["default"])
    real = wrapper.create_cursor

    def refused(self: Any, name: Any = None) -> Any:
        if self.vendor == "postgresql":
            import psycopg

            raise psycopg.OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(wrapper, "create_cursor", refused)

    class Switch:
        @staticmethod
        def up() -> None:
            monkeypatch.setattr(wrapper, "create_cursor", real)

        @staticmethod
        def down() -> None:
            monkeypatch.setattr(wrapper, "create_cursor", refused)

    return Switch


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.django_db
def test_api_answers_503_json_with_retry_after_while_the_database_is_down(client, election, db_down, settings):
    response = client.get(f"{API}/public/stats/")
    assert response.status_code == 503, response.content[:300]
    assert int(response["Retry-After"]) == settings.DB_UNAVAILABLE_RETRY_AFTER
    error = error_of(response)
    assert error["code"] == "database_unavailable"
    db_down.up()
    assert client.get(f"{API}/public/stats/").status_code == 200


@pytest.mark.django_db
def test_api_key_requests_get_503_too(client_for, people, db_down):
    db_down.up()
    api = client_for(people["reviewer"])
    api.raise_request_exception = False
    db_down.down()
    response = api.get(f"{API}/complaints/")
    assert response.status_code == 503
    assert error_of(response)["code"] == "database_unavailable"
    assert "Retry-After" in response


@pytest.mark.django_db
def test_web_pages_answer_a_plain_503_page_with_retry_after(client, election, db_down):
    for path in ("/file/stations.json?q=5", reverse("web-file"), reverse("public-stats")):
        response = client.get(path)
        assert response.status_code == 503, (path, response.status_code)
        assert int(response["Retry-After"]) > 0
    page = client.get(reverse("public-stats"))
    assert page["Content-Type"].startswith("text/html")
    assert "try again" in page.content.decode()
    xhr = client.get("/file/stations.json?q=5", HTTP_ACCEPT="application/json")
    assert xhr.json()["ok"] is False
    db_down.up()
    assert client.get("/file/stations.json?q=5").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_filing_while_the_database_is_down_is_503_and_files_nothing(anon, filing_payload, db_down, web_form):
    db_down.up()
    payload, form = filing_payload(), web_form()
    db_down.down()
    anon.raise_request_exception = False
    response = anon.post(f"{API}/complaints/", payload, format="json")
    assert response.status_code == 503
    assert error_of(response)["code"] == "database_unavailable"
    web = Client(raise_request_exception=False).post(reverse("web-file"), form)
    assert web.status_code == 503
    db_down.up()
    assert not Complaint.objects.exists()
    assert anon.post(f"{API}/complaints/", payload, format="json").status_code == 201


def test_other_errors_stay_500(client, monkeypatch):
    from complaints.web import complainant

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr(complainant.selectors, "polling_station_search", broken)
    assert client.get("/file/stations.json?q=5").status_code == 500
