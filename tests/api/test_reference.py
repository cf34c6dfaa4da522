from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from complaints.models import ApiKey, Category
from tests.api.conftest import API

pytestmark = pytest.mark.django_db


def test_categories_are_localised_by_accept_language(anon, category):
    Category.objects.filter(pk=category.pk).update(help_en="An employer pushes staff to vote.", help_ru="Работодатель")
    for lang, name, help_text in [
        ("en", "Pressure by employer", "An employer pushes staff to vote."),
        ("kk", "Жұмыс берушінің қысымы", "Работодатель"),  # no kk help: falls back to ru
        ("ru", "Давление работодателя", "Работодатель"),
    ]:
        response = anon.get(f"{API}/categories/", HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 200
        row = response.json()["results"][0]
        assert (row["code"], row["name"], row["help"]) == ("pressure.employer", name, help_text)


def test_elections_units_and_polling_stations(anon, territory, election):
    elections = anon.get(f"{API}/elections/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert elections[0]["name"] == "Extraordinary presidential election"
    assert anon.get(f"{API}/elections/{election.pk}/").json()["slug"] == election.slug
    assert anon.get(f"{API}/elections/999999/").status_code == 404
    assert anon.get(f"{API}/elections/?status=archived").json()["results"] == []
    units = anon.get(f"{API}/units/?parent=kz").json()["results"]
    assert [u["code"] for u in units] == ["ala", "pav"]
    assert [u["code"] for u in anon.get(f"{API}/units/?search=Экибастуз").json()["results"]] == ["pav-ekibastuz"]
    by_number = anon.get(f"{API}/polling-stations/?search=512").json()["results"]
    assert [s["address"] for s in by_number] == ["Экибастуз, ул. Ленина 10, школа №5"]
    by_address = anon.get(f"{API}/polling-stations/", {"search": "Абая"}).json()["results"]
    assert [s["number"] for s in by_address] == ["101"]
    in_region = anon.get(f"{API}/polling-stations/?unit=pav").json()["results"]
    assert [s["number"] for s in in_region] == ["512"]


def test_create_api_key_command(make_user, client_for):
    user = make_user("reviewer", username="party-hq")
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "--user", "party-hq", "--name", "Party HQ", stdout=out, stderr=err)
    key = out.getvalue().strip()
    stored = ApiKey.objects.get(name="Party HQ")
    assert stored.user == user
    assert key.startswith(stored.prefix)
    assert key not in stored.hashed_key
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    assert client.get(f"{API}/complaints/").status_code == 200
    with pytest.raises(CommandError):
        call_command("create_api_key", "--user", "nobody", stdout=out, stderr=err)


def test_schema_and_docs_are_served_without_a_cdn(anon, settings):
    # (No collectstatic in tests: plain storage instead of the manifest one.)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    schema = anon.get(f"{API}/schema/?format=json")
    assert schema.status_code == 200
    docs = anon.get(f"{API}/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html
    assert "unpkg" not in html
    assert "jsdelivr" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html


def test_schema_generation_has_no_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())
