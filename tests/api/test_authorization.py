"""Every complaint endpoint x every role, including cross-user and out-of-scope access (404, never 403).

The complaint is filed by ``observer`` at a polling station in Pavlodar; ``reviewer`` and
``coordinator`` cover Pavlodar, ``reviewer_elsewhere`` covers Almaty.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services
from tests.api.conftest import API, PNG, error_of

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "observer", "other_observer", "reviewer", "reviewer_elsewhere", "coordinator", "admin"]


def row(anonymous: int, observer: int, other: int, reviewer: int, elsewhere: int, coordinator: int, admin: int):
    return dict(zip(ROLES, [anonymous, observer, other, reviewer, elsewhere, coordinator, admin], strict=True))


# (name, method, path template, body, expected status per role)
CASES: list[tuple[str, str, str, Any, dict[str, int]]] = [
    ("detail", "get", "/complaints/{code}/", None, row(401, 200, 404, 200, 404, 200, 200)),
    ("timeline", "get", "/complaints/{code}/timeline/", None, row(401, 200, 404, 200, 404, 200, 200)),
    ("notes", "get", "/complaints/{code}/notes/", None, row(401, 200, 404, 200, 404, 200, 200)),
    ("note add", "post", "/complaints/{code}/notes/", {"body": "A note."}, row(401, 201, 404, 201, 404, 201, 201)),
    ("triage", "post", "/complaints/{code}/triage/", {}, row(401, 403, 404, 200, 404, 200, 200)),
    (
        "transition",
        "post",
        "/complaints/{code}/transitions/",
        {"action": "triage"},
        row(401, 403, 404, 200, 404, 200, 200),
    ),
    ("withdraw", "post", "/complaints/{code}/withdraw/", {}, row(401, 200, 404, 403, 404, 403, 403)),
    ("reject", "post", "/complaints/{code}/reject/", {"comment": "spam"}, row(401, 403, 404, 200, 404, 200, 200)),
    ("take", "post", "/complaints/{code}/take/", {}, row(401, 403, 404, 200, 404, 200, 200)),
    (
        "assign",
        "post",
        "/complaints/{code}/assign/",
        {"assignee": "coordinator"},
        row(401, 403, 404, 403, 404, 200, 200),
    ),
    ("reporter", "post", "/complaints/{code}/reporter/", {"purpose": "court"}, row(401, 403, 404, 403, 404, 200, 200)),
    ("evidence list", "get", "/complaints/{code}/evidence/", None, row(401, 200, 404, 200, 404, 200, 200)),
    ("evidence upload", "post", "/complaints/{code}/evidence/", "FILE", row(401, 201, 404, 201, 404, 201, 201)),
    ("download", "get", "/evidence/{evidence}/download/", None, row(401, 200, 404, 200, 404, 200, 200)),
]


@pytest.fixture
def callers(people: dict[str, Any], client_for: Any, anon: Any) -> dict[str, Any]:
    return {"anonymous": anon, **{name: client_for(user) for name, user in people.items()}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_endpoint_access(callers, observer_complaint, people, role, name, method, path, body, expected):
    evidence = services.evidence_attach(
        complaint=observer_complaint, upload=SimpleUploadedFile("p.png", PNG), actor=people["observer"]
    )
    url = API + path.format(code=observer_complaint.code, evidence=evidence.pk)
    client = callers[role]
    if body == "FILE":
        response = client.post(url, {"file": SimpleUploadedFile("photo.png", PNG)}, format="multipart")
    elif method == "post":
        response = client.post(url, body, format="json")
    else:
        response = client.get(url)
    assert response.status_code == expected[role], (role, name, getattr(response, "content", b"")[:300])
    if response.status_code >= 400:
        error_of(response)


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("observer", True),
        ("other_observer", False),
        ("reviewer", True),
        ("reviewer_elsewhere", False),
        ("coordinator", True),
        ("admin", True),
    ],
)
def test_list_shows_only_what_the_caller_may_see(callers, observer_complaint, role, sees):
    response = callers[role].get(f"{API}/complaints/")
    assert response.status_code == 200
    codes = [c["code"] for c in response.json()["results"]]
    assert (observer_complaint.code in codes) is sees


def test_list_needs_credentials(anon):
    response = anon.get(f"{API}/complaints/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_observer_cannot_act_on_another_observers_complaint_through_any_action(callers, observer_complaint):
    other = callers["other_observer"]
    for action in ["withdraw", "provide_info", "triage", "transitions", "notes", "evidence", "take", "assign"]:
        response = other.post(f"{API}/complaints/{observer_complaint.code}/{action}/", {}, format="json")
        assert response.status_code == 404, (action, response.content)
    observer_complaint.refresh_from_db()
    assert observer_complaint.status == "submitted"
    assert observer_complaint.version == 1


def test_available_actions_depend_on_the_caller(callers, observer_complaint):
    def actions(role):
        body = callers[role].get(f"{API}/complaints/{observer_complaint.code}/").json()
        return {a["action"] for a in body["available_actions"]}

    assert actions("observer") == {"withdraw"}
    assert actions("reviewer") == {"triage", "reject", "mark_duplicate"}
    assert actions("coordinator") == {"triage", "reject", "mark_duplicate"}


def test_reporter_identity_is_never_inlined(callers, observer_complaint):
    for role in ["observer", "reviewer", "coordinator", "admin"]:
        text = callers[role].get(f"{API}/complaints/{observer_complaint.code}/").content.decode()
        assert "Айгуль" not in text
        assert "aigul@example.org" not in text
        text = callers[role].get(f"{API}/complaints/").content.decode()
        assert "Айгуль" not in text
        assert "aigul@example.org" not in text


def test_reporter_reveal_is_audited(callers, observer_complaint):
    url = f"{API}/complaints/{observer_complaint.code}/reporter/"
    response = callers["coordinator"].post(url, {"purpose": "court"}, format="json")
    assert response.status_code == 200
    assert response.json()["full_name"] == "Айгуль Observer"
    assert response["Cache-Control"] == "no-store"
    event = observer_complaint.audit_events.order_by("-seq").first()
    assert event.action == "identity_viewed"
    assert event.actor.username == "coordinator"
    assert event.payload == {"purpose": "court"}


ALL = row(200, 200, 200, 200, 200, 200, 200)
SIGNED_IN = row(401, 200, 200, 200, 200, 200, 200)
# Endpoints that are not about one complaint: who may call them at all.
OTHER_CASES: list[tuple[str, str, str, Any, dict[str, int]]] = [
    ("elections", "get", "/elections/", None, ALL),
    ("units", "get", "/units/", None, ALL),
    ("polling stations", "get", "/polling-stations/", None, ALL),
    ("categories", "get", "/categories/", None, ALL),
    ("schema", "get", "/schema/", None, ALL),
    ("queue", "get", "/complaints/", None, SIGNED_IN),
    ("webhooks", "get", "/webhooks/", None, SIGNED_IN),
    ("dead letters", "get", "/webhooks/dead-letters/", None, SIGNED_IN),
    ("status lookup", "post", "/status/", {"code": "AAAA-BBBB-CCCC", "secret": "nope"}, row(*[404] * 7)),
    ("file", "post", "/complaints/", "FILING", row(*[201] * 7)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), OTHER_CASES, ids=[c[0] for c in OTHER_CASES])
def test_other_endpoint_access(callers, filing_payload, role, name, method, path, body, expected):
    client = callers[role]
    if body == "FILING":
        body = filing_payload()
    response = client.post(API + path, body, format="json") if method == "post" else client.get(API + path)
    assert response.status_code == expected[role], (role, name, response.content[:300])
