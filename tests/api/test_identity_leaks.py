"""The API never names the filer's account to staff, and shows a complainant only what is addressed to them."""

from __future__ import annotations

import pytest

from complaints import services
from tests.api.conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(observer_complaint, people):
    """An observer's named complaint: asked a question, answered by the observer, found unsubstantiated."""
    reviewer = people["reviewer"]
    services.complaint_transition(complaint=observer_complaint, action="triage", actor=reviewer)
    services.complaint_transition(complaint=observer_complaint, action="start_review", actor=reviewer)
    services.complaint_transition(
        complaint=observer_complaint, action="request_info", actor=reviewer, comment="Which polling station exactly?"
    )
    services.complaint_transition(
        complaint=observer_complaint, action="provide_info", actor=people["observer"], comment="Station 101."
    )
    services.complaint_transition(
        complaint=observer_complaint,
        action="unsubstantiate",
        actor=reviewer,
        comment="INTERNAL: the director is a cousin of our coordinator",
    )
    observer_complaint.refresh_from_db()
    return observer_complaint


@pytest.mark.parametrize("role", ["reviewer", "coordinator", "admin"])
def test_staff_never_see_the_filers_account_name_in_timeline_or_notes(client_for, people, answered, role):
    client = client_for(people[role])
    timeline = client.get(f"{API}/complaints/{answered.code}/timeline/")
    notes = client.get(f"{API}/complaints/{answered.code}/notes/")
    assert timeline.status_code == notes.status_code == 200
    actors = [e["actor"] for e in timeline.json()]
    authors = [n["author"] for n in notes.json()]
    assert "observer" not in actors, actors
    assert "observer" not in authors, authors
    assert actors.count("complainant") >= 2  # the filing and the answer
    assert "complainant" in authors
    assert "reviewer" in actors  # staff actors are still named to staff


def test_the_complainant_sees_only_comments_addressed_to_them(client_for, people, answered):
    body = client_for(people["observer"]).get(f"{API}/complaints/{answered.code}/timeline/").json()
    comments = {e["action"]: e["payload"].get("comment") for e in body}
    assert comments["request_info"] == "Which polling station exactly?"
    assert comments["provide_info"] == "Station 101."
    assert comments["unsubstantiate"] is None
    assert "INTERNAL" not in str(body)


def test_reveal_is_a_post_with_a_required_one_line_purpose(client_for, people, observer_complaint):
    url = f"{API}/complaints/{observer_complaint.code}/reporter/"
    coordinator = client_for(people["coordinator"])
    before = observer_complaint.audit_events.count()
    assert coordinator.get(url + "?purpose=court").status_code == 405
    for body in ({}, {"purpose": ""}, {"purpose": "   "}, {"purpose": "x" * 201}, {"purpose": "court\x00"}):
        response = coordinator.post(url, body, format="json")
        assert response.status_code == 400, body
        assert "purpose" in response.json()["error"]["fields"], body
    assert observer_complaint.audit_events.count() == before, "a refused reveal is not a reveal"
    response = coordinator.post(url, {"purpose": "Complaint to the territorial commission"}, format="json")
    assert response.status_code == 200
    assert observer_complaint.audit_events.count() == before + 1


def test_the_service_refuses_a_reveal_without_a_purpose(people, observer_complaint):
    for purpose in ("", "  ", "a\nb", "x" * 1024 * 1024):
        with pytest.raises(services.ValidationFailed):
            services.reporter_reveal(complaint=observer_complaint, actor=people["coordinator"], purpose=purpose)
