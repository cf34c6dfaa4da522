"""Two reviewers pressing different buttons on one complaint at once, over HTTP:
one 200, one 409 naming the state the complaint is in now; never a 500."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from complaints.models import AuditEvent, Complaint, Status
from tests.workflow.helpers import force_state

pytestmark = pytest.mark.django_db(transaction=True)
API = "/api/v1"


def test_http_race_gives_one_success_and_one_conflict(client_for, people, file_complaint):
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking races are tested on PostgreSQL")
    clients = [client_for(people["reviewer"]), client_for(people["coordinator"])]
    plans = [{"action": "substantiate"}, {"action": "request_info", "comment": "Пришлите фото протокола"}]
    for _ in range(25):
        complaint = force_state(file_complaint(), Status.UNDER_REVIEW)
        barrier = threading.Barrier(2)
        responses: list = [None, None]

        def fire(
            i: int, complaint: Complaint = complaint, barrier: threading.Barrier = barrier, responses: list = responses
        ) -> None:
            try:
                barrier.wait(timeout=10)
                responses[i] = clients[i].post(
                    f"{API}/complaints/{complaint.code}/transitions/",
                    {**plans[i], "version": complaint.version},
                    format="json",
                )
            finally:
                connections.close_all()

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409], [r.content for r in responses]
        conflict = next(r for r in responses if r.status_code == 409).json()["error"]
        final = Complaint.objects.get(pk=complaint.pk)
        assert conflict["current_status"] == final.status
        assert final.version == complaint.version + 1
        assert AuditEvent.objects.filter(complaint=complaint, action__in=["substantiate", "request_info"]).count() == 1
