"""Two reviewers acting on one complaint at once: exactly one wins, the other gets a
conflict naming the current state; no update is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from complaints import services, workflow
from complaints.models import AuditEvent, Complaint, Status
from tests.workflow.helpers import force_state

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 100


def _race(complaint: Complaint, version: int, plans: list[tuple[str, object, str]]) -> list[object]:
    barrier = threading.Barrier(len(plans))
    results: list[object] = [None] * len(plans)

    def run(i: int, action: str, actor: object, comment: str) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = services.complaint_transition(
                complaint=complaint, action=action, actor=actor, comment=comment, version=version
            )
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *plan)) for i, plan in enumerate(plans)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_conflicting_transitions_one_wins_every_time(file_complaint, make_user, territory):
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking races are tested on PostgreSQL (SQLite serialises writers)")
    first = make_user("reviewer", units=[territory["pav"]])
    second = make_user("coordinator")
    for _ in range(ROUNDS):
        complaint = force_state(file_complaint(), Status.UNDER_REVIEW)
        events = AuditEvent.objects.filter(complaint=complaint).count()
        results = _race(
            complaint,
            complaint.version,
            [("substantiate", first, ""), ("request_info", second, "Нужны фото протокола")],
        )
        wins = [r for r in results if isinstance(r, Complaint)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert len(wins) == 1, results
        assert len(losses) == 1, results
        assert isinstance(losses[0], services.StaleVersion), results
        final = Complaint.objects.get(pk=complaint.pk)
        assert final.status == wins[0].status
        assert losses[0].current_status == final.status
        assert final.version == complaint.version + 1
        assert AuditEvent.objects.filter(complaint=complaint).count() == events + 1


def test_without_a_version_the_loser_gets_invalid_transition(file_complaint, make_user):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    a, b = make_user("coordinator"), make_user("coordinator")
    complaint = force_state(file_complaint(), Status.UNDER_REVIEW)
    results = _race(complaint, None, [("substantiate", a, ""), ("unsubstantiate", b, "Не подтвердилось")])
    assert sum(isinstance(r, Complaint) for r in results) == 1
    assert sum(isinstance(r, workflow.InvalidTransition) for r in results) == 1


def test_stale_version_names_the_current_state(file_complaint, make_user):
    reviewer = make_user("coordinator")
    complaint = file_complaint()
    services.complaint_transition(complaint=complaint, action="triage", actor=reviewer)
    with pytest.raises(services.StaleVersion) as excinfo:
        services.complaint_transition(complaint=complaint, action="reject", actor=reviewer, comment="spam", version=1)
    assert excinfo.value.current_status == Status.TRIAGED
    assert excinfo.value.current_version == 2
    assert str(Status.TRIAGED.label) in str(excinfo.value)
