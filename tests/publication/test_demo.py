"""The demo data publishes two 2011 cases, so ``make run`` shows /cases/ with outcomes from the legal case."""

from __future__ import annotations

import pytest

from complaints import selectors
from complaints.demo.seed import seed_demo

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_two_cases_with_their_outcomes(client):
    report = seed_demo()
    assert report.legal["published"] == 2
    outcomes = sorted(c.outcome for c in selectors.published_cases())
    assert outcomes == ["rejected", "upheld"]
    assert seed_demo().legal["published"] == 0  # idempotent
    assert client.get("/cases/?region=ala").status_code == 200
