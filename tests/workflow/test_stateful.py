"""Random actions by random roles: the workflow never leaves a valid state, every change
has exactly one audit event, and the audit chains verify after every run."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from complaints import audit, services, workflow
from complaints.models import AuditEvent, Complaint, Status
from complaints.services import ComplainantActor, ServiceError
from complaints.workflow import ACTIONS, Role

pytestmark = pytest.mark.django_db

ROLES = [Role.COMPLAINANT, Role.REVIEWER, Role.COORDINATOR, Role.ADMIN, "outsider"]


def test_random_actions_keep_workflow_and_audit_consistent(make_user, territory, file_complaint):
    actors = {
        Role.REVIEWER: make_user("reviewer", units=[territory["pav"]]),
        Role.COORDINATOR: make_user("coordinator"),
        Role.ADMIN: make_user("admin"),
        "outsider": make_user("reviewer", units=[territory["ala"]]),
    }

    class Machine(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            self.complaints = [file_complaint() for _ in range(3)]
            self.changes = {c.pk: 0 for c in self.complaints}

        @rule(
            index=st.integers(0, 2),
            action=st.sampled_from(ACTIONS),
            role=st.sampled_from(ROLES),
            comment=st.sampled_from(["", "Проверено на месте."]),
            original_index=st.integers(0, 2),
        )
        def fire(self, index: int, action: str, role: str, comment: str, original_index: int) -> None:
            complaint = self.complaints[index]
            actor = ComplainantActor(complaint.pk) if role == Role.COMPLAINANT else actors[role]
            try:
                services.complaint_transition(
                    complaint=complaint,
                    action=action,
                    actor=actor,
                    comment=comment,
                    duplicate_of=self.complaints[original_index],
                    authority="ЦИК",
                    authority_reference="№1",
                )
            except (workflow.WorkflowError, ServiceError, Complaint.DoesNotExist):
                return
            self.changes[complaint.pk] += 1

        @invariant()
        def consistent(self) -> None:
            for complaint in self.complaints:
                row = Complaint.objects.get(pk=complaint.pk)
                assert row.status in Status.values
                changes = AuditEvent.objects.filter(complaint=row, action__in=ACTIONS).count()
                assert changes == self.changes[row.pk] == row.version - 1
                assert row.status != Status.DUPLICATE or row.duplicate_of_id is not None

        def teardown(self) -> None:
            assert list(audit.verify_chains()) == []

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )


def test_changing_one_byte_of_one_event_is_detected(file_complaint, make_user):
    admin = make_user("admin")
    complaint = file_complaint()
    for action in ["triage", "start_review", "substantiate"]:
        complaint = services.complaint_transition(complaint=complaint, action=action, actor=admin)
    victim = AuditEvent.objects.get(complaint=complaint, seq=3)
    assert list(audit.verify_chains()) == []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser tampering past the trigger, as an attacker with DB access would.
            cursor.execute("SET LOCAL session_replication_role = replica")
        # One byte: "submitted"/"triaged" -> a different status letter in from_status.
        cursor.execute(
            "UPDATE complaints_auditevent SET from_status = %s WHERE id = %s",
            [victim.from_status[:-1] + "X", victim.pk],
        )
    breaks = list(audit.verify_chains())
    assert [b.event_id for b in breaks] == [victim.pk]
    assert "altered" in breaks[0].reason
    with pytest.raises(CommandError, match=f"audit event {victim.pk} "):
        call_command("verify_audit")


def test_verify_audit_passes_on_intact_chains(file_complaint, capsys):
    file_complaint()
    call_command("verify_audit")
    assert "every chain intact" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_update_and_delete_of_audit_events(file_complaint):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    from django.db import DatabaseError, transaction

    event = AuditEvent.objects.filter(complaint=file_complaint()).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
