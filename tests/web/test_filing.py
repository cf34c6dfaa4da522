"""Filing a complaint through the web form, without JavaScript (plain multipart posts)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, Evidence, PollingStation, Status

pytestmark = pytest.mark.django_db


def _form(election, cat, **extra):
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "election": election.pk,
        "category": cat.pk,
        "station": "512",
        "polling_station": "",
        "region": "",
        "place_text": "",
        "occurred_at": occurred,
        "description": "Директор школы требует от учителей фотографию бюллетеня.",
        "identity": "anonymous",
        "full_name": "",
        "email": "",
        "phone": "",
    }
    data.update(extra)
    return data


def test_form_preselects_the_active_election_and_lists_categories_with_help(client, election, category, territory):
    category.help_ru = "Принуждение голосовать."
    category.save()
    response = client.get(reverse("web-file"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{election.pk}" selected>' in html
    assert "Давление работодателя" in html
    assert "Принуждение голосовать." in html
    assert 'enctype="multipart/form-data"' in html


def test_filing_without_js_creates_the_complaint_with_files_and_shows_the_receipt_once(
    client, election, category, territory, png_upload
):
    data = _form(election, category, files=[png_upload("a.png"), png_upload("b.png", (0, 90, 200))])
    response = client.post(reverse("web-file"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("web-receipt")

    complaint = Complaint.objects.get()
    assert complaint.polling_station == territory["ps_pav"]
    assert complaint.status == Status.SUBMITTED
    assert complaint.reporter.is_anonymous
    assert complaint.reporter.user is None
    assert sorted(Evidence.objects.values_list("original_name", flat=True)) == ["a.png", "b.png"]

    receipt = client.get(reverse("web-receipt"))
    html = receipt.content.decode()
    assert complaint.code in html
    secret = receipt.context["secret"]
    assert secret
    assert secret in html
    assert "no-store" in receipt["Cache-Control"]
    # Shown once: the secret left the session as it was displayed.
    again = client.get(reverse("web-receipt"))
    assert again.status_code == 200
    assert "Receipt already shown" in again.content.decode()
    assert secret not in again.content.decode()


def test_invalid_filing_shows_errors_next_to_the_fields_and_keeps_the_input(client, election, category, territory):
    data = _form(election, category, category="", description="short")
    response = client.post(reverse("web-file"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the kind of violation." in html
    assert "short" in html  # what they typed is still there
    assert not Complaint.objects.exists()


def test_service_refusal_is_shown_on_the_form(client, election, category, territory):
    response = client.post(reverse("web-file"), _form(election, category, description="too short"))
    assert response.status_code == 400
    assert "at least 10 characters" in response.content.decode()


def test_a_file_that_is_not_evidence_is_refused_by_name_and_nothing_is_saved(client, election, category, territory):
    bad = SimpleUploadedFile("notes.exe", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/octet-stream")
    response = client.post(reverse("web-file"), _form(election, category, files=[bad]))
    assert response.status_code == 400
    assert "notes.exe" in response.content.decode()
    assert not Complaint.objects.exists()


def test_ambiguous_station_text_offers_the_matches_to_choose_from(client, election, category, territory):
    other = PollingStation.objects.create(unit=territory["ekib"], number="5120", address="Экибастуз, ул. Мира 1")
    response = client.post(reverse("web-file"), _form(election, category, station="Экибастуз"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Several polling stations match" in html
    assert f'value="{other.pk}"' in html
    assert f'value="{territory["ps_pav"].pk}"' in html

    chosen = _form(election, category, station="Экибастуз", polling_station=str(other.pk))
    assert client.post(reverse("web-file"), chosen).status_code == 302
    assert Complaint.objects.get().polling_station == other


def test_place_without_station(client, election, category, territory):
    data = _form(election, category, station="", region=territory["ala"].pk, place_text="Площадь у акимата")
    assert client.post(reverse("web-file"), data).status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.unit == territory["ala"]
    assert complaint.place_text == "Площадь у акимата"


def test_json_submission_for_the_enhanced_form(client, election, category, territory):
    bad = client.post(reverse("web-file"), _form(election, category, category=""), HTTP_ACCEPT="application/json")
    assert bad.status_code == 400
    assert "category" in bad.json()["errors"]

    ok = client.post(reverse("web-file"), _form(election, category), HTTP_ACCEPT="application/json")
    assert ok.status_code == 200
    assert ok.json() == {"ok": True, "redirect": reverse("web-receipt")}


def test_signed_in_observer_files_under_their_name_and_sees_it_in_my_complaints(
    client, election, category, territory, observer
):
    client.force_login(observer)
    assert client.get(reverse("web-file")).context["form"].initial["identity"] == "named"
    data = _form(election, category, identity="named", full_name="Ерлан Нурланов", phone="+7 701 000 00 00")
    assert client.post(reverse("web-file"), data).status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.reporter.user == observer
    assert complaint.reporter.full_name == "Ерлан Нурланов"

    receipt = client.get(reverse("web-receipt"))
    assert receipt.context["secret"] == ""  # followed through the account instead
    mine = client.get(reverse("web-my"))
    assert complaint.code in mine.content.decode()


def test_anonymous_choice_by_a_signed_in_observer_does_not_link_the_account(
    client, election, category, territory, observer
):
    client.force_login(observer)
    data = _form(election, category, identity="anonymous", full_name="Ignored Name")
    assert client.post(reverse("web-file"), data).status_code == 302
    reporter = Complaint.objects.get().reporter
    assert reporter.is_anonymous
    assert reporter.user is None
    assert reporter.full_name == ""


def test_station_search_json(client, territory):
    response = client.get(reverse("web-stations"), {"q": "51"})
    results = json.loads(response.content)["results"]
    assert [r["number"] for r in results] == ["512"]
    assert results[0]["unit"] == "Ekibastuz"
    by_address = client.get(reverse("web-stations"), {"q": "абая"}).json()["results"]
    assert [r["number"] for r in by_address] == ["101"]
    assert client.get(reverse("web-stations"), {"q": ""}).json() == {"results": []}
