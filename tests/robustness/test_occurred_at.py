"""When it happened: within the election's campaign period and not in the future; list filters in range."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Complaint
from complaints.services.filing import filing_window
from tests.api.conftest import API, error_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00-12:00",
        "1900-01-01T00:00:00Z",
        "0001-01-01T00:00:00+06:00",  # DRF itself refuses this one: in Almaty time it is before year 1
    ],
)
def test_an_occurred_at_before_the_campaign_is_refused_through_the_api(anon, filing_payload, value):
    anon.raise_request_exception = False
    response = anon.post(f"{API}/complaints/", filing_payload(occurred_at=value), format="json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert list(error["fields"]) == ["occurred_at"]
    if not value.endswith("+06:00"):
        assert "campaign" in error["fields"]["occurred_at"][0]["message"]
    assert not Complaint.objects.exists()


def test_an_occurred_at_far_in_the_future_is_refused_through_the_api(anon, filing_payload):
    anon.raise_request_exception = False
    response = anon.post(f"{API}/complaints/", filing_payload(occurred_at="9999-12-31T23:59:59Z"), format="json")
    assert response.status_code == 400, response.content
    assert list(error_of(response)["fields"]) == ["occurred_at"]


def test_the_web_form_refuses_year_one_naming_the_field(web_form):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("web-file"), web_form(occurred_at="0001-01-01T00:00"))
    assert response.status_code == 400
    assert "occurred_at" in response.context["form"].errors
    assert "campaign" in response.context["form"].errors["occurred_at"][0]
    assert not Complaint.objects.exists()


def test_the_service_bound_is_the_campaign_start_else_a_margin_before_voting_day(
    election, category, territory, settings
):
    settings.ELECTION_CAMPAIGN_DAYS = 60
    kwargs = {
        "election": election,
        "category": category,
        "polling_station": territory["ps_pav"],
        "description": "Пример нарушения до дня голосования.",
    }
    start = filing_window(election)[0]
    assert timezone.localdate(start) == election.voting_day - timedelta(days=60)
    services.complaint_file(occurred_at=start, **kwargs)
    with pytest.raises(services.ValidationFailed) as refused:
        services.complaint_file(occurred_at=start - timedelta(seconds=1), **kwargs)
    assert refused.value.field == "occurred_at"
    # The election's own campaign start wins over the margin, earlier or later.
    election.campaign_starts_on = election.voting_day - timedelta(days=200)
    election.save()
    services.complaint_file(occurred_at=start - timedelta(days=100), **kwargs)
    election.campaign_starts_on = election.voting_day - timedelta(days=3)
    election.save()
    with pytest.raises(services.ValidationFailed) as refused:
        services.complaint_file(occurred_at=timezone.now() - timedelta(days=4), **kwargs)
    assert "campaign" in refused.value.message


def test_the_future_bound_allows_clock_skew_only(election, category, territory):
    kwargs = {
        "election": election,
        "category": category,
        "polling_station": territory["ps_pav"],
        "description": "Пример нарушения в день голосования.",
    }
    services.complaint_file(occurred_at=timezone.now() + timedelta(minutes=5), **kwargs)
    with pytest.raises(services.ValidationFailed) as refused:
        services.complaint_file(occurred_at=timezone.now() + timedelta(minutes=30), **kwargs)
    assert refused.value.field == "occurred_at"


def test_a_past_election_still_takes_complaints_about_its_own_period(election, category, territory):
    election.voting_day = date(2011, 4, 3)
    election.save()
    services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=datetime(2011, 3, 15, 10, 0, tzinfo=timezone.get_current_timezone()),
        description="Пример нарушения во время кампании.",
    )


@pytest.mark.parametrize("value", ["0001-01-01", "0001-01-01T00:00:00Z", "0001-01-01T03:00:00+06:00", "10000-01-01"])
def test_updated_since_out_of_range_answers_400(client_for, people, value):
    api = client_for(people["reviewer"])
    api.raise_request_exception = False
    response = api.get(f"{API}/complaints/", {"updated_since": value, "ordering": "updated_at"})
    assert response.status_code == 400, response.content
    assert "updated_since" in error_of(response)["fields"]


def test_updated_since_in_range_still_works(client_for, people, file_complaint):
    file_complaint()
    api = client_for(people["coordinator"])
    response = api.get(f"{API}/complaints/", {"updated_since": "2000-01-01T00:00:00Z", "ordering": "updated_at"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


NAIVE_YEAR_ONE = ["0001-01-01T00:00:00", "0001-01-01", "0001-01-01T00:00"]


@pytest.mark.parametrize("value", NAIVE_YEAR_ONE)
def test_a_naive_year_one_through_the_api_is_a_400_not_a_500(anon, filing_payload, value):
    """DRF's DateTimeField overflows converting it to UTC; the API's error handler answers 400."""
    anon.raise_request_exception = False
    response = anon.post(f"{API}/complaints/", filing_payload(occurred_at=value), format="json")
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] in {"out_of_range", "invalid"}
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("value", NAIVE_YEAR_ONE[:1])
def test_a_naive_year_one_through_the_api_names_occurred_at(anon, filing_payload, value):
    response = anon.post(f"{API}/complaints/", filing_payload(occurred_at=value), format="json")
    assert list(error_of(response)["fields"]) == ["occurred_at"]


@pytest.mark.parametrize("value", [*NAIVE_YEAR_ONE, "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9999-12-31"])
def test_the_bounded_field_refuses_what_overflows_naming_its_code(value):
    from rest_framework import serializers

    from complaints.api.filters import BoundedDateTimeField

    with pytest.raises(serializers.ValidationError) as refused:
        BoundedDateTimeField().run_validation(value)
    assert refused.value.get_codes() == ["out_of_range"]
    assert BoundedDateTimeField().run_validation("2024-03-01T10:00:00+06:00").year == 2024
