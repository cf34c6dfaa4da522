from __future__ import annotations

import pytest

from tests.api.conftest import API, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        from rest_framework.throttling import SimpleRateThrottle

        new = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": new}
        SimpleRateThrottle.THROTTLE_RATES = new  # read at import time by DRF

    yield set_rates
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_anonymous_filing_is_throttled_per_ip_with_retry_after(anon, filing_payload, rates):
    rates(anon_filing="2/minute")
    for _ in range(2):
        assert anon.post(f"{API}/complaints/", filing_payload(), format="json").status_code == 201
    response = anon.post(f"{API}/complaints/", filing_payload(), format="json")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert error_of(response)["code"] == "throttled"
    # Another address is not affected; a spoofed X-Forwarded-For does not make a new address.
    assert (
        anon.post(f"{API}/complaints/", filing_payload(), format="json", HTTP_X_FORWARDED_FOR="9.9.9.9").status_code
        == 429
    )
    other = anon.post(f"{API}/complaints/", filing_payload(), format="json", REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 201


def test_api_keys_are_throttled_per_key(client_for, people, rates):
    rates(api_key="3/minute")
    first, second = client_for(people["reviewer"]), client_for(people["reviewer"])
    for _ in range(3):
        assert first.get(f"{API}/complaints/").status_code == 200
    response = first.get(f"{API}/complaints/")
    assert response.status_code == 429
    assert "Retry-After" in response
    assert second.get(f"{API}/complaints/").status_code == 200


def test_status_lookups_are_throttled_per_ip(anon, rates):
    rates(anon_status="2/minute")
    for _ in range(2):
        assert anon.post(f"{API}/status/", {"code": "AAAA-BBBB-CCCC", "secret": "x"}, format="json").status_code == 404
    response = anon.post(f"{API}/status/", {"code": "AAAA-BBBB-CCCC", "secret": "x"}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_error_format_for_common_failures(anon, client_for, people):
    observer = client_for(people["observer"])
    cases = [
        (anon.get(f"{API}/complaints/"), 401, "not_authenticated"),
        (anon.get(f"{API}/complaints/", HTTP_AUTHORIZATION="Api-Key nope.nope"), 401, "authentication_failed"),
        (observer.get(f"{API}/complaints/ZZZZ-ZZZZ-ZZZZ/"), 404, "not_found"),
        (observer.get(f"{API}/no/such/endpoint/"), 404, "not_found"),
        (observer.delete(f"{API}/complaints/"), 405, "method_not_allowed"),
        (observer.post(f"{API}/complaints/", "{not json", content_type="application/json"), 400, "parse_error"),
        (observer.post(f"{API}/complaints/", "a=b", content_type="text/plain"), 415, "unsupported_media_type"),
        # text/csv is an export format now (staff only: 403 for an observer); an unknown format is 406.
        (observer.get(f"{API}/complaints/", HTTP_ACCEPT="application/pdf"), 406, "not_acceptable"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, (status, response.content)
        assert error_of(response)["code"] == code, response.json()
    assert cases[4][0]["Allow"]


def test_field_errors_list_code_and_message_per_field(anon):
    response = anon.post(f"{API}/complaints/", {}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    for field in ["election", "category", "occurred_at", "description"]:
        assert error["fields"][field][0]["code"] == "required"
        assert error["fields"][field][0]["message"]


def test_error_messages_follow_the_request_language(anon):
    response = anon.post(f"{API}/complaints/", {}, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert "Обязательное поле" in response.json()["error"]["fields"]["election"][0]["message"]
