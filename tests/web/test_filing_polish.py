"""Filing form polish from the phone walkthrough (issue 14): every error at once with a summary
linking to the fields, the place marked as required, the categories grouped, and a receipt
code accepted without dashes and in lower case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Category, Complaint
from tests.web.test_filing import _form

pytestmark = pytest.mark.django_db


def _summary(html: str) -> str:
    match = re.search(r'<div class="error-summary" role="alert".*?</div>', html, re.S)
    assert match, "no error summary"
    return match.group(0)


def test_every_error_of_a_submission_is_shown_at_once_with_a_summary_linking_to_each_field(
    client, election, category, territory
):
    bad = SimpleUploadedFile("notes.exe", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/octet-stream")
    data = _form(election, category, station="", description="short", files=[bad])
    response = client.post(reverse("web-file"), data)
    assert response.status_code == 400
    summary = _summary(response.content.decode())
    # The description's length, the missing place and the refused file: all in one answer.
    assert 'href="#id_description"' in summary
    assert "at least 10 characters" in summary
    assert 'href="#id_station"' in summary
    assert "One of these is required" in summary
    assert 'href="#id_files"' in summary
    assert "notes.exe" in summary
    assert not Complaint.objects.exists()


def test_the_enhanced_form_gets_every_error_at_once_too(client, election, category, territory):
    bad = SimpleUploadedFile("notes.exe", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/octet-stream")
    data = _form(election, category, station="", description="short", files=[bad])
    errors = client.post(reverse("web-file"), data, HTTP_ACCEPT="application/json").json()["errors"]
    assert {"description", "station", "files"} <= set(errors)


def test_the_place_is_marked_as_required_one_of_three(client, election, category, territory):
    html = client.get(reverse("web-file")).content.decode()
    place = re.search(r'<fieldset class="group place".*?</fieldset>', html, re.S).group(0)
    assert 'aria-describedby="place-rule"' in place
    assert "(required)" in place
    assert re.search(r'id="place-rule">One of these is required', place)
    assert "(optional)" not in place
    for field in ("id_station", "id_region", "id_place_text"):
        tag = re.search(rf'<[^>]*id="{field}"[^>]*>', place, re.S).group(0)
        assert re.search(r'aria-describedby="place-rule ', tag), tag


def test_a_missing_place_is_one_clear_error_on_the_first_place_field(client, election, category, territory):
    response = client.post(reverse("web-file"), _form(election, category, station=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("Say where it happened. One of these is required") == 2  # summary and field
    station = re.search(r'<input type="text" name="station"[^>]*>', html, re.S).group(0)
    assert 'aria-invalid="true"' in station
    assert "id_station_error_1" in station


@pytest.fixture
def taxonomy(db):
    def make(code, parent=None, order=0, **names):
        return Category.objects.create(
            code=code,
            parent=parent,
            sort_order=order,
            name_ru=names.get("ru", code),
            name_kk=names.get("kk", code),
            name_en=names.get("en", code),
            help_en=names.get("help", ""),
        )

    ballot = make("ballot", order=10, en="Ballot violations")
    make("ballot.stuffing", ballot, 11, en="Ballot stuffing", help="Several ballots put in at once.")
    make("ballot.carousel", ballot, 12, en="Carousel voting")
    make("vote_buying", order=20, en="Vote buying")
    return ballot


def test_categories_are_a_select_grouped_by_parent_with_the_help_texts_listed(client, election, territory, taxonomy):
    html = client.get(reverse("web-file"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    select = re.search(r'<select name="category".*?</select>', html, re.S).group(0)
    assert 'aria-required="true"' in select
    group = re.search(r'<optgroup label="Ballot violations">(.*?)</optgroup>', select, re.S).group(1)
    labels = re.findall(r"<option [^>]*>([^<]*)</option>", group)
    assert labels == ["Ballot violations: other, or in general", "Ballot stuffing", "Carousel voting"]
    # A category without children stands alone, outside any group.
    assert re.search(r'</optgroup>\s*<option value="\d+" data-help="">Vote buying</option>', select)
    assert 'data-help="Several ballots put in at once."' in select
    assert "Several ballots put in at once." in re.search(r"<details.*?</details>", html, re.S).group(0)
    # The filter box is there for the script to show; without it the optgroups do the work.
    assert re.search(r'<div class="category__filter" data-category-filter-box hidden>', html)


def test_the_chosen_category_stays_chosen_on_a_form_sent_back(client, election, category, territory):
    response = client.post(reverse("web-file"), _form(election, category, description=""))
    assert re.search(rf'<option value="{category.pk}" data-help="[^"]*" selected>', response.content.decode())


@pytest.fixture
def filing(election, category, territory):
    return services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now() - timedelta(hours=1),
        description="Наблюдателя не пустили на участок до начала подсчёта.",
    )


@pytest.mark.parametrize("typed", ["{raw}", "{raw_lower}", "{spaced}"])
def test_the_status_page_takes_a_receipt_code_without_dashes_or_in_lower_case(client, filing, typed):
    code = filing.complaint.code
    raw = code.replace("-", "")
    value = typed.format(raw=raw, raw_lower=raw.lower(), spaced=" ".join(code.split("-")).lower())
    response = client.post(reverse("web-status"), {"code": value, "secret": filing.secret})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_the_status_page_still_refuses_a_wrong_code(client, filing):
    response = client.post(reverse("web-status"), {"code": "ABCDEFGHJKMN", "secret": filing.secret})
    assert response.status_code == 400


def test_the_api_status_endpoint_takes_a_receipt_code_without_dashes_in_lower_case(client, filing):
    raw = filing.complaint.code.replace("-", "").lower()
    response = client.post(
        reverse("api-status"), {"code": raw, "secret": filing.secret}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["code"] == filing.complaint.code
