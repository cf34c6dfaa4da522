"""Rules that belong to the services, so every caller (web, API, admin, tests) gets them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services, workflow
from complaints.models import Complaint
from complaints.models.complaint import DESCRIPTION_MAX_LENGTH
from tests.test_evidence import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_reviewers(make_user, territory):
    return make_user("reviewer", units=[territory["pav"]]), make_user("reviewer", units=[territory["pav"]])


def test_a_reviewer_cannot_release_a_colleagues_assignment_through_the_service(two_reviewers, file_complaint):
    alice, bob = two_reviewers
    complaint = file_complaint()
    services.complaint_assign(complaint=complaint, assignee=alice, actor=alice)
    with pytest.raises(workflow.NotAllowed):
        services.complaint_assign(complaint=complaint, assignee=None, actor=bob)
    assert Complaint.objects.get(pk=complaint.pk).assignee == alice


def test_a_reviewer_may_release_their_own_and_a_coordinator_anyones(two_reviewers, make_user, file_complaint):
    alice, _bob = two_reviewers
    coordinator = make_user("coordinator")
    complaint = file_complaint()
    services.complaint_assign(complaint=complaint, assignee=alice, actor=alice)
    services.complaint_assign(complaint=complaint, assignee=None, actor=alice)
    assert Complaint.objects.get(pk=complaint.pk).assignee is None
    services.complaint_assign(complaint=complaint, assignee=alice, actor=alice)
    services.complaint_assign(complaint=complaint, assignee=None, actor=coordinator)
    assert Complaint.objects.get(pk=complaint.pk).assignee is None


def test_description_limit_lives_in_the_service(file_complaint):
    with pytest.raises(services.ValidationFailed) as refused:
        file_complaint(description="x" * (DESCRIPTION_MAX_LENGTH + 1))
    assert refused.value.field == "description"
    assert file_complaint(description="x" * DESCRIPTION_MAX_LENGTH).pk


def test_form_serializer_and_model_read_the_one_description_limit():
    from complaints.api.serializers import ComplaintCreateSerializer
    from complaints.web.forms import FilingForm

    assert FilingForm.base_fields["description"].max_length == DESCRIPTION_MAX_LENGTH
    assert ComplaintCreateSerializer().fields["description"].max_length == DESCRIPTION_MAX_LENGTH


def test_a_note_or_evidence_does_not_change_the_version_a_pending_transition_holds(two_reviewers, file_complaint):
    alice, bob = two_reviewers
    complaint = file_complaint()
    seen = complaint.version
    services.note_add(complaint=complaint, actor=bob, body="позвонил наблюдателю")
    services.evidence_attach(complaint=complaint, upload=SimpleUploadedFile("photo.png", PNG), actor=bob)
    triaged = services.complaint_transition(complaint=complaint, action="triage", actor=alice, version=seen)
    assert triaged.status == "triaged"
    assert triaged.version == seen + 1


def test_the_transition_service_has_no_per_action_branch():
    """Per-action effects are fields of ``Transition``; the service never compares the action name."""
    import ast
    import inspect

    from complaints.services import transitions

    tree = ast.parse(inspect.getsource(transitions))
    compared = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(n, ast.Name) and n.id == "action" for n in [node.left, *node.comparators])
    ]
    assert compared == []


def test_effects_in_the_table():
    effects = {t.action: t.effects for t in workflow.TRANSITIONS if t.effects}
    assert effects == {
        "start_review": {workflow.Effect.ASSIGN_ACTOR},
        "request_info": {workflow.Effect.NOTE_TO_COMPLAINANT},
        "provide_info": {workflow.Effect.NOTE_FROM_COMPLAINANT},
        "mark_duplicate": {workflow.Effect.LINK_ORIGINAL},
        "undo_duplicate": {workflow.Effect.UNLINK_ORIGINAL},
        "escalate": {workflow.Effect.FILE_SUBMISSION},
    }
