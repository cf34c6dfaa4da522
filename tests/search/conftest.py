"""Search fixtures: complaints in two regions, filed through the real services (so the index is the services')."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from complaints import selectors
from complaints.models import ApiKey, Complaint


@pytest.fixture
def search() -> Callable[..., list[str]]:
    """``search(user, q, **filters)``: the receipt codes the queue shows, in its order."""

    def run(user: Any, q: str, **filters: Any) -> list[str]:
        queue = selectors.complaint_queue_for(user=user, filters=selectors.QueueFilters(q=q, **filters))
        return [c.code for c in queue]

    return run


@pytest.fixture
def api() -> Callable[..., Any]:
    """``api(user, **params)``: GET the list as ``user``, through a real API key."""
    keys: dict[int, str] = {}

    def get(user: Any, **params: Any) -> Any:
        if user.pk not in keys:
            keys[user.pk] = ApiKey.objects.create_key(name=f"key for {user.username}", user=user)[1]
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {keys[user.pk]}")
        return client.get("/api/v1/complaints/", params)

    return get


@pytest.fixture
def cases(file_complaint: Callable[..., Complaint], territory: dict[str, Any]) -> dict[str, Complaint]:
    return {
        "ekib": file_complaint(
            description="На педсовете директор велел учителям проголосовать до 10 утра и сообщить номер участка.",
        ),
        "ala": file_complaint(
            polling_station=territory["ps_ala"],
            description="Наблюдателя не допустили к подсчёту голосов, председатель попросил выйти.",
        ),
        "kk": file_complaint(
            polling_station=territory["ps_ala"],
            description="Сайлау учаскесінде бақылаушыны дауыс санауға жібермеді.",
        ),
    }
