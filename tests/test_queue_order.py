"""One queue order (issue 9): the API's keyset pages and the web queue agree, running SLA clocks first.

A complaint paused in needs_info keeps its (earliest) due time but its clock does not run:
it must follow the running-clock complaints, overdue ones included, in both front ends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints import selectors, services
from complaints.models import ApiKey, Complaint, Severity, Status

pytestmark = pytest.mark.django_db

API = "/api/v1"


def api_client(user: Any) -> APIClient:
    _, key = ApiKey.objects.create_key(name=f"key for {user.username}", user=user)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def api_codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


@pytest.fixture
def scene(make_user, file_complaint, territory, time_machine) -> dict[str, Any]:
    reviewer = make_user("reviewer", [territory["pav"]], username="queue_reviewer")
    coordinator = make_user("coordinator", [territory["pav"]], username="queue_coordinator")
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    paused = file_complaint(severity=Severity.URGENT)  # the earliest due time of all
    time_machine.move_to(start + timedelta(minutes=10), tick=False)
    for action in ["triage", "start_review"]:
        paused = services.complaint_transition(complaint=paused, action=action, actor=coordinator)
    paused = services.complaint_transition(
        complaint=paused, action="request_info", actor=coordinator, comment="Which polling station?"
    )
    late = [file_complaint(severity=Severity.URGENT) for _ in range(3)]
    services.complaint_transition(complaint=late[1], action="triage", actor=coordinator)
    later = [file_complaint(severity=severity) for severity in (Severity.HIGH, Severity.MEDIUM, Severity.LOW)]
    time_machine.move_to(start + timedelta(minutes=150), tick=False)  # past the urgent (100 min) SLA
    paused = Complaint.objects.get(pk=paused.pk)
    assert paused.status == Status.NEEDS_INFO
    assert paused.sla_paused_at is not None
    assert all(paused.due_at < c.due_at < timezone.now() for c in Complaint.objects.filter(pk__in=[c.pk for c in late]))
    return {"reviewer": reviewer, "paused": paused, "late": late, "later": later}


def web_codes(client: Any, user: Any, params: dict[str, Any]) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("web-queue"), params)
    assert response.status_code == 200
    return [c.code for c in response.context["page"]]


@pytest.mark.parametrize(
    ("web_params", "api_query"),
    [({}, ""), ({"severity": Severity.URGENT}, f"severity={Severity.URGENT}")],
    ids=["unfiltered", "urgent"],
)
def test_api_first_page_equals_web_first_page(client, scene, web_params, api_query):
    reviewer, paused = scene["reviewer"], scene["paused"]
    web = web_codes(client, reviewer, web_params)
    api = api_codes(api_client(reviewer).get(f"{API}/complaints/?{api_query}"))
    assert api == web
    assert api == [c.code for c in selectors.complaint_queue_for(user=reviewer, filters=_filters(web_params))]
    # Running clocks first, the overdue ones on top; the paused needs_info complaint last.
    assert api[-1] == paused.code
    assert set(api[:3]) == {c.code for c in scene["late"]}


def _filters(params: dict[str, Any]) -> selectors.QueueFilters:
    return selectors.QueueFilters(severity=params.get("severity"))


def test_overdue_filter_never_shows_a_paused_clock(scene):
    api = api_codes(api_client(scene["reviewer"]).get(f"{API}/complaints/?overdue=true&page_size=2"))
    assert scene["paused"].code not in api
    assert len(api) == 2


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_keyset_pages_walk_the_same_single_order(scene, page_size):
    client = api_client(scene["reviewer"])
    everything = api_codes(client.get(f"{API}/complaints/?page_size=200"))
    assert len(everything) == 7
    assert everything == [c.code for c in selectors.complaint_queue_for(user=scene["reviewer"])]
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    url: str | None = f"{API}/complaints/?page_size={page_size}"
    while url:
        response = client.get(url)
        seen += api_codes(response)
        pages.append(response.json())
        url = response.json()["next"]
    assert seen == everything  # every complaint exactly once, in the one order
    assert len(seen) == len(set(seen))
    # and back again from the last page
    back: list[str] = []
    url = pages[-1]["previous"]
    while url:
        response = client.get(url)
        back = api_codes(response) + back
        url = response.json()["previous"]
    assert back + [row["code"] for row in pages[-1]["results"]] == everything


def test_the_index_serves_the_workflows_sla_states():
    from complaints import workflow
    from complaints.models import complaint

    assert set(complaint.SLA_RUNNING_STATUSES) == {str(s) for s in workflow.SLA_STATES}
