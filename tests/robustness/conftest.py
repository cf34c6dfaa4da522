"""Robustness tests: the API fixtures (clients, filing payload) and a web filing form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.api.conftest import _clean_cache, anon, client_for, filing_payload, people  # noqa: F401
from tests.images import png_bytes


@pytest.fixture
def web_form(election: Any, category: Any, territory: dict[str, Any]) -> Any:
    """The fields of the web filing form, filled in validly; override any of them."""

    def make(**extra: Any) -> dict[str, Any]:
        occurred = timezone.localtime(timezone.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
        data: dict[str, Any] = {
            "election": election.pk,
            "category": category.pk,
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

    return make


@pytest.fixture
def png() -> Any:
    def make(name: str = "photo.png") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, png_bytes(), content_type="image/png")

    return make


@pytest.fixture(autouse=True)
def _configured_rates() -> None:
    """Start from the configured rates: tests/api's ``rates`` fixture restores DRF's class
    attribute while its overridden settings are still in place, so they can outlive that test."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


@pytest.fixture
def rates(settings: Any) -> Any:
    """Set throttle rates for one test (DRF reads them into a class attribute at import)."""
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES

    def set_rates(**rates: str) -> None:
        new = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": new}
        SimpleRateThrottle.THROTTLE_RATES = new

    yield set_rates
    # The rates from before this test (api_settings still holds the overridden ones here:
    # the settings fixture is undone after this one).
    SimpleRateThrottle.THROTTLE_RATES = original
