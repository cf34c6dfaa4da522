"""Search fixtures: complaints in two regions, filed through the real services (so the index is the services')."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from complaints import selectors
from complaints.models import Complaint


@pytest.fixture
def search() -> Callable[..., list[str]]:
    """``search(user, q, **filters)``: the receipt codes the queue shows, in its order."""

    def run(user: Any, q: str, **filters: Any) -> list[str]:
        queue = selectors.complaint_queue_for(user=user, filters=selectors.QueueFilters(q=q, **filters))
        return [c.code for c in queue]

    return run


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
