from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints import services
from complaints.models import AuditEvent, Complaint, OutboxMessage, Severity, Status
from complaints.tasks import sla_check

pytestmark = pytest.mark.django_db


def test_urgent_due_in_100_minutes_by_default(file_complaint):
    start = timezone.now()
    complaint = file_complaint(severity=Severity.URGENT)
    assert timedelta(minutes=99) < complaint.due_at - start < timedelta(minutes=101)


def test_breach_is_marked_and_notified_once_even_when_run_twice(file_complaint, make_user, territory):
    make_user("coordinator", units=[territory["pav"]], email="coord@example.org")
    make_user("coordinator", units=[territory["ala"]], email="other-region@example.org")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        complaint = file_complaint(severity=Severity.URGENT)
        traveller.shift(timedelta(minutes=99))
        assert sla_check.delay().get() == 0
        traveller.shift(timedelta(minutes=2))
        assert sla_check.delay().get() == 1
        assert sla_check.delay().get() == 0
    complaint.refresh_from_db()
    assert complaint.sla_breached_at is not None
    assert complaint.priority == 1
    assert AuditEvent.objects.filter(complaint=complaint, action="sla_breached").count() == 1
    alerts = OutboxMessage.objects.filter(complaint=complaint, event_type="complaint.sla_breached")
    assert list(alerts.values_list("recipient", flat=True)) == ["coord@example.org"]


def test_needs_info_pauses_the_clock(file_complaint, make_user):
    reviewer = make_user("coordinator")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        complaint = file_complaint(severity=Severity.URGENT)
        due = complaint.due_at
        for action in ["triage", "start_review"]:
            complaint = services.complaint_transition(complaint=complaint, action=action, actor=reviewer)
        complaint = services.complaint_transition(
            complaint=complaint, action="request_info", actor=reviewer, comment="Какой номер участка?"
        )
        traveller.shift(timedelta(hours=5))
        assert sla_check.delay().get() == 0
        complaint = services.complaint_transition(
            complaint=complaint,
            action="provide_info",
            actor=services.ComplainantActor(complaint.pk),
            comment="Участок №512",
        )
    assert complaint.status == Status.UNDER_REVIEW
    assert complaint.due_at == due + timedelta(hours=5)
    assert Complaint.objects.get(pk=complaint.pk).sla_breached_at is None
