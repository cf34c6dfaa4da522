"""API test helpers: clients per role, API keys, a filing payload."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import ApiKey, Complaint
from tests.images import pdf_bytes, png_bytes

API = "/api/v1"

# Small valid files of each kind, for evidence uploads (type sniffed from the bytes, content decoded).
PNG = png_bytes(width=1, height=1)
PDF = pdf_bytes()


@pytest.fixture(autouse=True)
def _clean_cache(settings: Any) -> None:
    """Throttle counters live in the cache; start every test from zero. Fast password hashing."""
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anon() -> APIClient:
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")  # messages asserted in English; ru is the default


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    """An API client authenticated as ``user`` through a real API key."""

    def make(user: Any) -> APIClient:
        _, key = ApiKey.objects.create_key(name=f"key for {user.username}", user=user)
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        client.api_key = key  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def filing_payload(territory: dict[str, Any], election: Any, category: Any) -> Callable[..., dict[str, Any]]:
    def make(**overrides: Any) -> dict[str, Any]:
        payload = {
            "election": election.pk,
            "category": category.code,
            "polling_station": territory["ps_pav"].pk,
            "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "description": "Директор требует сфотографировать бюллетень и прислать ему снимок.",
        }
        payload.update(overrides)
        return payload

    return make


@pytest.fixture
def people(make_user: Callable[..., Any], territory: dict[str, Any]) -> dict[str, Any]:
    """One of each role. Reviewers and coordinators scoped to Pavlodar (where ps_pav is)."""
    return {
        "observer": make_user("observer", username="observer"),
        "other_observer": make_user("observer", username="other_observer"),
        "reviewer": make_user("reviewer", [territory["pav"]], username="reviewer"),
        "reviewer_elsewhere": make_user("reviewer", [territory["ala"]], username="reviewer_elsewhere"),
        "coordinator": make_user("coordinator", [territory["pav"]], username="coordinator"),
        "admin": make_user("admin", username="admin"),
    }


@pytest.fixture
def observer_complaint(file_complaint: Callable[..., Complaint], people: dict[str, Any]) -> Complaint:
    return file_complaint(reporter_user=people["observer"], full_name="Айгуль Observer", email="aigul@example.org")


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    assert body["error"]["message"]
    return body["error"]
