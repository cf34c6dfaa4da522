"""The data migration: escalations recorded before the legal case become submissions."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from complaints.audit import audit_append
from complaints.models import Submission
from tests.workflow.helpers import force_state

pytestmark = pytest.mark.django_db
migration = importlib.import_module("complaints.migrations.0010_escalations_to_submissions")


def test_old_escalation_payloads_become_submissions(file_complaint, bodies):
    linked = force_state(file_complaint(), "escalated")
    audit_append(complaint=linked, action="escalate", payload={"authority": "Экибастузская ТИК",
                                                               "authority_reference": "вх. № 3"})  # fmt: skip
    free = force_state(file_complaint(), "escalated")
    audit_append(complaint=free, action="escalate", payload={"authority": "Акимат", "authority_reference": ""})
    migration.forwards(apps, None)  # it reads only the models (the schema editor is not used)
    migration.forwards(apps, None)  # idempotent
    rows = {s.complaint_id: s for s in Submission.objects.all()}
    assert len(rows) == 2
    assert rows[linked.pk].authority == bodies["ekib"]
    assert rows[linked.pk].registration_number == "вх. № 3"
    assert rows[free.pk].authority is None
    assert rows[free.pk].authority_text == "Акимат"
    assert {s.state for s in rows.values()} == {"filed"}
    assert {s.channel for s in rows.values()} == {"unknown"}
