from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import audit, services
from complaints.api import fastlist
from complaints.models import AuditEvent, Channel, Complaint, Evidence, Note, Reporter, Status
from tests.api.conftest import API, PDF, PNG, error_of

pytestmark = pytest.mark.django_db


# --- filing -------------------------------------------------------------------------


def test_anonymous_filing_returns_receipt_and_secret_once(anon, filing_payload):
    response = anon.post(f"{API}/complaints/", filing_payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    complaint = Complaint.objects.get(code=body["code"])
    assert response["Location"].endswith(f"/api/v1/complaints/{complaint.code}/")
    assert body["status"] == "submitted"
    assert body["version"] == 1
    assert body["secret_redacted"] is False
    assert complaint.channel == Channel.API
    assert complaint.reporter.is_anonymous
    assert complaint.reporter.user is None
    # Only the hash is stored.
    assert complaint.reporter.secret_hash == hashlib.sha256(body["secret"].encode()).hexdigest()
    assert body["secret"] not in str(Reporter.objects.values_list().get(pk=complaint.pk))


def test_filing_with_an_api_key_makes_the_service_user_the_reporter(client_for, people, filing_payload):
    client = client_for(people["observer"])
    response = client.post(f"{API}/complaints/", filing_payload(full_name="Н. Наблюдатель"), format="json")
    assert response.status_code == 201
    complaint = Complaint.objects.get(code=response.json()["code"])
    assert complaint.reporter.user == people["observer"]
    assert complaint.reporter.full_name == "Н. Наблюдатель"
    assert "Н. Наблюдатель" not in response.content.decode()
    assert client.get(f"{API}/complaints/{complaint.code}/").status_code == 200


def test_status_and_workflow_fields_are_not_writable(anon, filing_payload):
    payload = filing_payload(status="closed", version=99, assignee="admin", due_at="2000-01-01T00:00:00Z")
    response = anon.post(f"{API}/complaints/", payload, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["version"], body["assignee"]) == ("submitted", 1, None)
    assert body["due_at"] > timezone.now().isoformat()[:4]


def test_filing_validation_names_the_field(anon, filing_payload):
    response = anon.post(f"{API}/complaints/", filing_payload(description="short"), format="json")
    assert response.status_code == 400
    assert "description" in error_of(response)["fields"]
    future = (timezone.now() + timedelta(days=2)).isoformat()
    response = anon.post(f"{API}/complaints/", filing_payload(occurred_at=future), format="json")
    assert response.status_code == 400
    assert "occurred_at" in error_of(response)["fields"]
    response = anon.post(f"{API}/complaints/", filing_payload(polling_station=None), format="json")
    assert response.status_code == 400
    assert "place_text" in error_of(response)["fields"]


def test_multipart_filing_with_evidence(anon, filing_payload):
    payload = filing_payload()
    payload["files"] = [SimpleUploadedFile("ballot.png", PNG), SimpleUploadedFile("act.pdf", PDF)]
    response = anon.post(f"{API}/complaints/", payload, format="multipart")
    assert response.status_code == 201, response.content
    evidence = response.json()["evidence"]
    assert [e["content_type"] for e in evidence] == ["image/png", "application/pdf"]
    assert evidence[0]["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_multipart_filing_with_a_wrong_type_files_nothing(anon, filing_payload):
    payload = filing_payload()
    payload["files"] = [SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image at all" * 10)]
    response = anon.post(f"{API}/complaints/", payload, format="multipart")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_type"
    assert Complaint.objects.count() == 0


# --- reading ---------------------------------------------------------------------------


def test_retrieve_by_code_with_version_etag_and_actions(client_for, people, observer_complaint):
    response = client_for(people["reviewer"]).get(f"{API}/complaints/{observer_complaint.code.lower()}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == observer_complaint.code
    assert response["ETag"] == f'"{body["version"]}"'
    assert body["category"] == "pressure.employer"
    assert {a["action"] for a in body["available_actions"]} == {"triage", "reject", "mark_duplicate"}


def test_unknown_or_malformed_code_is_404(client_for, people):
    client = client_for(people["admin"])
    for code in ["AAAA-BBBB-CCCC", "nope", "%00", "x" * 300]:
        response = client.get(f"{API}/complaints/{code}/")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_timeline_for_staff_and_for_the_complainant(client_for, people, observer_complaint):
    services.note_add(complaint=observer_complaint, actor=people["reviewer"], body="internal remark")
    staff = client_for(people["reviewer"]).get(f"{API}/complaints/{observer_complaint.code}/timeline/").json()
    assert [e["action"] for e in staff] == ["file", "note"]
    assert staff[1]["actor"] == "reviewer"
    own = client_for(people["observer"]).get(f"{API}/complaints/{observer_complaint.code}/timeline/").json()
    assert [e["action"] for e in own] == ["file"]
    assert own[0]["prev_hash"] == audit.GENESIS


def test_notes_internal_vs_complainant(client_for, people, observer_complaint):
    reviewer, observer = client_for(people["reviewer"]), client_for(people["observer"])
    url = f"{API}/complaints/{observer_complaint.code}/notes/"
    assert reviewer.post(url, {"body": "Looks genuine."}, format="json").status_code == 201
    response = reviewer.post(url, {"body": "Which floor?", "visibility": "complainant"}, format="json")
    assert response.status_code == 201
    assert response.json()["author"] == "reviewer"
    response = observer.post(url, {"body": "Second floor.", "visibility": "internal"}, format="json")
    assert response.status_code == 201
    assert response.json()["visibility"] == "complainant"  # a complainant cannot write internal notes
    seen_by_observer = [n["body"] for n in observer.get(url).json()]
    assert seen_by_observer == ["Which floor?", "Second floor."]
    assert all(n["author"] is None for n in observer.get(url).json())
    assert len(reviewer.get(url).json()) == 3
    assert reviewer.post(url, {"body": "   "}, format="json").status_code == 400


# --- transitions ---------------------------------------------------------------------


def test_transition_by_action_endpoint_and_generic_endpoint(client_for, people, observer_complaint):
    client = client_for(people["reviewer"])
    base = f"{API}/complaints/{observer_complaint.code}"
    response = client.post(f"{base}/triage/", {"version": 1}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("triaged", 2)
    response = client.post(f"{base}/transitions/", {"action": "start_review", "version": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "under_review"
    assert response.json()["assignee"] == "reviewer"  # start_review takes an unassigned complaint
    assert list(audit.verify_chains()) == []


def test_stale_version_is_409_naming_the_current_status(client_for, people, observer_complaint):
    first, second = client_for(people["reviewer"]), client_for(people["coordinator"])
    url = f"{API}/complaints/{observer_complaint.code}"
    assert first.post(f"{url}/triage/", {"version": 1}, format="json").status_code == 200
    response = second.post(f"{url}/reject/", {"version": 1, "comment": "spam"}, format="json")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "stale_version"
    assert (error["current_status"], error["current_version"]) == ("triaged", 2)
    assert "Triaged" in error["message"]
    observer_complaint.refresh_from_db()
    assert observer_complaint.status == Status.TRIAGED


def test_if_match_header_carries_the_version(client_for, people, observer_complaint):
    client = client_for(people["reviewer"])
    url = f"{API}/complaints/{observer_complaint.code}/triage/"
    assert client.post(url, {}, format="json", HTTP_IF_MATCH='"7"').status_code == 409
    response = client.post(url, {}, format="json", HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200
    response = client.post(
        f"{API}/complaints/{observer_complaint.code}/start_review/", {}, format="json", HTTP_IF_MATCH="soon"
    )
    assert response.status_code == 400
    assert "If-Match" in error_of(response)["fields"]


def test_invalid_transition_and_missing_requirement(client_for, people, observer_complaint):
    client = client_for(people["coordinator"])
    base = f"{API}/complaints/{observer_complaint.code}"
    response = client.post(f"{base}/close/", {}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"
    for body in [{}, {"comment": "   "}]:
        response = client.post(f"{base}/reject/", body, format="json")
        assert response.status_code == 400
        assert "comment" in error_of(response)["fields"]
    response = client.post(f"{base}/transitions/", {"action": "escalate", "authority": "ЦИК"}, format="json")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"authority_reference"}
    response = client.post(f"{base}/transitions/", {"action": "publish"}, format="json")
    assert response.status_code == 400
    assert "action" in error_of(response)["fields"]


def test_mark_duplicate_by_code_and_escalation(client_for, people, observer_complaint, file_complaint):
    original = file_complaint(reporter_user=people["other_observer"])
    client = client_for(people["coordinator"])
    base = f"{API}/complaints/{observer_complaint.code}"
    response = client.post(f"{base}/mark_duplicate/", {"duplicate_of": "ZZZZ-ZZZZ-ZZZZ"}, format="json")
    assert response.status_code == 400
    assert "duplicate_of" in error_of(response)["fields"]
    response = client.post(f"{base}/mark_duplicate/", {"duplicate_of": original.code}, format="json")
    assert response.status_code == 200
    assert response.json()["duplicate_of"] == original.code
    other = f"{API}/complaints/{original.code}"
    for action, body in [
        ("triage", {}),
        ("start_review", {}),
        ("substantiate", {}),
        ("escalate", {"authority": "ЦИК", "authority_reference": "№ 12-34"}),
    ]:
        response = client.post(f"{other}/{action}/", body, format="json")
        assert response.status_code == 200, (action, response.content)
    assert response.json()["status"] == "escalated"


def test_assign_and_take(client_for, people, observer_complaint):
    base = f"{API}/complaints/{observer_complaint.code}"
    coordinator = client_for(people["coordinator"])
    response = coordinator.post(f"{base}/assign/", {"assignee": "reviewer"}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"] == "reviewer"
    response = coordinator.post(f"{base}/assign/", {"assignee": "reviewer_elsewhere"}, format="json")
    assert response.status_code == 400
    assert "assignee" in error_of(response)["fields"]
    response = coordinator.post(f"{base}/assign/", {"assignee": "ghost"}, format="json")
    assert response.status_code == 400
    response = coordinator.post(f"{base}/assign/", {"assignee": None, "version": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"] is None
    response = client_for(people["reviewer"]).post(f"{base}/take/", {"version": 3}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"] == "reviewer"


# --- evidence ----------------------------------------------------------------------


def test_evidence_upload_and_download_with_hash(client_for, people, observer_complaint):
    observer = client_for(people["observer"])
    url = f"{API}/complaints/{observer_complaint.code}/evidence/"
    response = observer.post(url, {"file": SimpleUploadedFile("../../etc/ballot.png", PNG)}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["original_name"] == "ballot.png"
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    download = client_for(people["reviewer"]).get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-SHA256"] == body["sha256"]
    assert download["Repr-Digest"].startswith("sha-256=:")
    assert observer_complaint.audit_events.filter(action="evidence").count() == 1


def test_evidence_too_large_is_413(client_for, people, observer_complaint, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    client = client_for(people["observer"])
    url = f"{API}/complaints/{observer_complaint.code}/evidence/"
    response = client.post(url, {"file": SimpleUploadedFile("big.png", PNG + b"\0" * 2048)}, format="multipart")
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    # Over the limit by Content-Length alone: refused before the body is read.
    response = client.post(
        url, {"file": SimpleUploadedFile("huge.png", PNG + b"\0" * (2**20 + 4096))}, format="multipart"
    )
    assert response.status_code == 413
    assert Evidence.objects.count() == 0


def test_evidence_of_the_wrong_type_is_415(client_for, people, observer_complaint):
    client = client_for(people["observer"])
    url = f"{API}/complaints/{observer_complaint.code}/evidence/"
    response = client.post(
        url, {"file": SimpleUploadedFile("script.png", b"#!/bin/sh\nrm -rf /\n" * 20)}, format="multipart"
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_type"
    response = client.post(url, {"file": "not a file"}, format="multipart")
    assert response.status_code == 400
    response = client.post(url, {"file": "x"}, format="json")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


# --- the queue ------------------------------------------------------------------------


@pytest.fixture
def queue(file_complaint, territory, people, category):
    """Complaints in Pavlodar with various severities and states."""
    made = [file_complaint(severity=severity) for severity in (1, 2, 3, 4, 4, 2)]
    made.append(file_complaint(polling_station=None, unit=territory["ala_d"], place_text="Almaty"))
    services.complaint_transition(complaint=made[0], action="triage", actor=people["reviewer"])
    services.complaint_assign(complaint=made[1], assignee=people["reviewer"], actor=people["coordinator"])
    return made


def codes(response):
    assert response.status_code == 200, response.content
    return [c["code"] for c in response.json()["results"]]


def test_queue_filters(client_for, people, queue, election):
    admin = client_for(people["admin"])
    assert len(codes(admin.get(f"{API}/complaints/"))) == 7
    assert codes(admin.get(f"{API}/complaints/?status=triaged")) == [queue[0].code]
    assert len(codes(admin.get(f"{API}/complaints/?status=triaged,submitted"))) == 7
    assert len(codes(admin.get(f"{API}/complaints/?status=triaged&status=submitted"))) == 7
    assert set(codes(admin.get(f"{API}/complaints/?severity=4"))) == {queue[3].code, queue[4].code}
    assert codes(admin.get(f"{API}/complaints/?region=ala")) == [queue[6].code]
    assert len(codes(admin.get(f"{API}/complaints/?region=pav&category=pressure"))) == 6
    assert codes(admin.get(f"{API}/complaints/?region=nowhere")) == []
    assert codes(admin.get(f"{API}/complaints/?assignee=reviewer")) == [queue[1].code]
    assert len(codes(admin.get(f"{API}/complaints/?assignee=none"))) == 6
    assert len(codes(admin.get(f"{API}/complaints/?election={election.pk}"))) == 7
    assert codes(admin.get(f"{API}/complaints/?q={queue[2].code}")) == [queue[2].code]
    assert codes(client_for(people["reviewer"]).get(f"{API}/complaints/?assignee=me")) == [queue[1].code]


def test_queue_overdue_due_soon_and_updated_since(client_for, people, queue, time_machine):
    admin = client_for(people["admin"])
    assert codes(admin.get(f"{API}/complaints/?overdue=true")) == []
    time_machine.move_to(timezone.now() + timedelta(minutes=150))  # past the urgent (100 min) SLA
    assert set(codes(admin.get(f"{API}/complaints/?overdue=true"))) == {queue[3].code, queue[4].code}
    since = timezone.now()
    time_machine.move_to(since + timedelta(seconds=5))
    services.note_add(complaint=queue[5], actor=people["reviewer"], body="touch")
    response = admin.get(f"{API}/complaints/", {"updated_since": since.isoformat(), "ordering": "updated_at"})
    assert codes(response) == [queue[5].code]
    response = admin.get(f"{API}/complaints/?due_soon=true")
    assert response.status_code == 200


def test_queue_is_ordered_by_due_time_then_priority(client_for, people, queue):
    body = client_for(people["admin"]).get(f"{API}/complaints/").json()["results"]
    due = [c["due_at"] for c in body]
    assert due == sorted(due)
    assert body[0]["severity"] == 4


def test_cursor_pagination_walks_forward_and_back(client_for, people, queue):
    admin = client_for(people["admin"])
    for ordering in ["due_at", "-created_at", "created_at", "updated_at", "-updated_at", "-severity"]:
        everything = codes(admin.get(f"{API}/complaints/?page_size=200&ordering={ordering}"))
        seen, url, pages = [], f"{API}/complaints/?page_size=2&ordering={ordering}", []
        while url:
            response = admin.get(url)
            seen += codes(response)
            pages.append(response.json())
            url = response.json()["next"]
        assert seen == everything, ordering
        assert len(pages) == 4
        assert pages[0]["previous"] is None
        back = admin.get(pages[-1]["previous"])
        assert codes(back) == everything[4:6], ordering


def test_bad_query_parameters_are_400(client_for, people):
    admin = client_for(people["admin"])
    for query in [
        "status=open",
        "severity=9",
        "ordering=random",
        "page_size=0",
        "page_size=1000",
        "cursor=abc",
        "election=x",
        "updated_since=yesterday",
        "overdue=maybe",
    ]:
        response = admin.get(f"{API}/complaints/?{query}")
        assert response.status_code == 400, query
        assert error_of(response)["fields"], query


def test_cursor_from_another_ordering_is_rejected(client_for, people, queue):
    admin = client_for(people["admin"])
    next_url = admin.get(f"{API}/complaints/?page_size=2").json()["next"]
    response = admin.get(next_url.replace("page_size=2", "page_size=2&ordering=-created_at"))
    assert response.status_code == 400
    assert "cursor" in error_of(response)["fields"]


@pytest.mark.parametrize("role", ["admin", "reviewer", "observer"])
def test_list_query_count_does_not_grow_with_page_size(
    client_for, people, file_complaint, territory, role, django_assert_num_queries
):
    for n in range(12):
        # Varied relations on every page: two stations and units, an assignee, a duplicate.
        station = territory["ps_pav"] if n % 2 else territory["ps_ala"]
        file_complaint(reporter_user=people["observer"], polling_station=station)
    client = client_for(people[role])
    url = f"{API}/complaints/?ordering=created_at&page_size="

    def count(size: int, *, cold: bool) -> int:
        if cold:
            fastlist.clear_caches()  # display values cached per process: measure both ways
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url + str(size))
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, visible)
        return len(queries)

    visible = len(client.get(url + "200").json()["results"])
    assert visible >= 6

    cold = [count(5, cold=True), count(50, cold=True)]
    warm = [count(5, cold=False), count(50, cold=False)]
    assert cold[0] == cold[1], cold
    assert warm[0] == warm[1], warm
    fastlist.clear_caches()
    with django_assert_num_queries(cold[0]):
        client.get(url + "50")


def test_list_query_count_is_bounded(client_for, people, file_complaint, django_assert_max_num_queries):
    for _ in range(5):
        file_complaint()
    client = client_for(people["reviewer"])
    # key+user, groups, scope, permissions (2), the page, and 3 display lookups
    with django_assert_max_num_queries(9):
        assert client.get(f"{API}/complaints/?page_size=50").status_code == 200


def test_notes_and_timeline_rows_written_through_services(client_for, people, observer_complaint):
    before = AuditEvent.objects.count()
    client_for(people["reviewer"]).post(
        f"{API}/complaints/{observer_complaint.code}/notes/", {"body": "x"}, format="json"
    )
    assert AuditEvent.objects.count() == before + 1
    assert Note.objects.get().author == people["reviewer"]
