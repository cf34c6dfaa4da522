"""What the reviewer is told after acting: what happened, and on a conflict what changed and by whom."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints import services, workflow


def test_every_transition_says_what_happened_not_the_button_verb():
    for t in workflow.TRANSITIONS:
        assert str(t.done), t.action
        assert str(t.done) != str(t.label), t.action
        assert str(t.done).endswith("."), t.action


def test_triage_flash_says_the_complaint_was_triaged(client, coordinator, file_complaint):
    complaint = file_complaint()
    client.force_login(coordinator)
    response = client.post(
        reverse("web-complaint-act", args=[complaint.code, "triage"]), {"version": complaint.version}, follow=True
    )
    html = response.content.decode()
    assert "Complaint triaged." in html
    assert "Done: " not in html


@pytest.fixture
def seen_page(client, coordinator, file_complaint):
    """A coordinator's open page: the version and the last event it shows."""
    complaint = file_complaint()
    client.force_login(coordinator)
    context = client.get(reverse("web-complaint", args=[complaint.code])).context
    return complaint, context["complaint"].version, context["seen_seq"]


def test_conflict_banner_names_what_changed_and_who(client, seen_page, reviewer_pav):
    complaint, version, seen = seen_page
    services.complaint_transition(complaint=complaint, action="triage", actor=reviewer_pav, version=version)
    response = client.post(
        reverse("web-complaint-act", args=[complaint.code, "triage"]), {"version": version, "seen": seen}
    )
    assert response.status_code == 409
    changes = response.context["conflict_changes"]
    assert [c.label for c in changes] == ["Triage"]
    assert changes[0].actor == "Айгуль Сеитова"
    html = response.content.decode()
    assert "What changed since you opened the page:" in html
    assert "Айгуль Сеитова" in html.split("What changed since you opened the page:")[1].split("</ul>")[0]


def test_conflict_on_assignment_lists_the_change_too(client, seen_page, reviewer_pav, coordinator):
    complaint, version, seen = seen_page
    services.complaint_assign(complaint=complaint, assignee=reviewer_pav, actor=coordinator, version=version)
    response = client.post(
        reverse("web-complaint-assign", args=[complaint.code]), {"version": version, "seen": seen, "how": "take"}
    )
    assert response.status_code == 409
    assert len(response.context["conflict_changes"]) == 1
