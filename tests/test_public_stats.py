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
    assert regions == {"pav": 3, "ala": None}
    assert stats.total == 4

    page = client.get("/stats/").content.decode()
    assert "&lt;3" in page
    assert "Секретное" not in page
    assert "secret@example.org" not in page
    api = client.get("/api/v1/public/stats/").json()
    assert {c["key"]: c["count"] for c in api["by_region"]} == {"pav": 3, "ala": None}
    csv_body = client.get("/stats/open-data.csv").content.decode()
    assert "region,ala,Almaty,<3" in csv_body or "region,ala,Алматы,<3" in csv_body


def test_public_stats_query_count_is_constant(file_complaint, election, django_assert_max_num_queries):
    for _ in range(10):
        file_complaint()
    with django_assert_max_num_queries(5):
        selectors.public_stats(election_id=election.pk)
