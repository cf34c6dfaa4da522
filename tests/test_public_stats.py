from __future__ import annotations

import pytest

from complaints import selectors
from complaints.models import Status
from tests.workflow.helpers import force_state

pytestmark = pytest.mark.django_db


def test_small_counts_are_never_published(file_complaint, territory, election, client, settings):
    settings.PUBLIC_STATS_MIN_COUNT = 3
    for _ in range(3):
        file_complaint(full_name="Секретное Имя", email="secret@example.org")
    file_complaint(polling_station=territory["ps_ala"])  # a single complaint in Almaty
    force_state(file_complaint(), Status.REJECTED)  # spam is not counted
    stats = selectors.public_stats(election_id=election.pk)
    regions = {c.key: c.count for c in stats.by_region}
    # Almaty's single complaint is under the floor, and Pavlodar's 3 is hidden beside it: the
    # total (4) minus Pavlodar would give Almaty away.
    assert regions == {"pav": None, "ala": None}
    assert stats.total == 4

    page = client.get("/stats/").content.decode()
    assert ">x<" in page
    assert "Секретное" not in page
    assert "secret@example.org" not in page
    api = client.get("/api/v1/public/stats/").json()
    assert {c["key"]: c["count"] for c in api["by_region"]} == {"pav": None, "ala": None}
    csv_body = client.get("/stats/open-data.csv").content.decode()
    assert "region,ala,Almaty,x" in csv_body or "region,ala,Алматы,x" in csv_body


def test_public_stats_query_count_is_constant(file_complaint, election, django_assert_max_num_queries):
    for _ in range(10):
        file_complaint()
    with django_assert_max_num_queries(5):
        selectors.public_stats(election_id=election.pk)


@pytest.fixture
def stats_rate(settings):
    from rest_framework.throttling import SimpleRateThrottle

    before = SimpleRateThrottle.THROTTLE_RATES
    new = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public_stats": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": new}
    SimpleRateThrottle.THROTTLE_RATES = new  # read at import time by DRF
    yield
    # The rates from before: api_settings still holds 3/minute here (the settings fixture
    # restores REST_FRAMEWORK only after this teardown), and the next tests would inherit it.
    SimpleRateThrottle.THROTTLE_RATES = before


@pytest.mark.parametrize("url", ["/stats/", "/stats/open-data.csv", "/api/v1/public/stats/"])
def test_public_stats_are_throttled_per_address(client, election, stats_rate, url):
    answers = [client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    refused = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "again" in refused.content.decode().lower() or "available in" in refused.content.decode().lower()
    assert client.get(url, REMOTE_ADDR="192.0.2.77").status_code == 200, "another address is not held back"


def test_the_figures_are_computed_once_for_a_burst(file_complaint, election, django_assert_max_num_queries):
    file_complaint()
    selectors.public_stats(election_id=election.pk)
    with django_assert_max_num_queries(0):
        for _ in range(5):
            selectors.public_stats(election_id=election.pk)
