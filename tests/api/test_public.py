"""The anonymous complainant: status by receipt code + secret, answering, adding evidence."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services
from complaints.models import Status
from tests.api.conftest import API, PNG, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(anon, filing_payload):
    body = anon.post(f"{API}/complaints/", filing_payload(anonymous=True), format="json").json()
    return body["code"], body["secret"]


def test_status_by_code_and_secret_shows_status_and_messages_only(anon, filed, people):
    code, secret = filed
    from complaints.models import Complaint

    complaint = Complaint.objects.get(code=code)
    services.note_add(complaint=complaint, actor=people["reviewer"], body="internal: looks like a set-up")
    services.complaint_transition(complaint=complaint, action="triage", actor=people["reviewer"])
    services.complaint_transition(complaint=complaint, action="start_review", actor=people["reviewer"])
    services.complaint_transition(
        complaint=complaint, action="request_info", actor=people["reviewer"], comment="Which polling station?"
    )
    response = anon.post(f"{API}/status/", {"code": code.lower(), "secret": secret}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"code", "status", "status_label", "version", "updated_at", "messages", "available_actions"}
    assert body["status"] == "needs_info"
    assert [m["body"] for m in body["messages"]] == ["Which polling station?"]
    assert {a["action"] for a in body["available_actions"]} == {"provide_info", "withdraw"}
    assert "internal" not in response.content.decode()
    assert "reviewer" not in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    # The same through headers.
    response = anon.get(f"{API}/status/", HTTP_X_RECEIPT_CODE=code, HTTP_X_RECEIPT_SECRET=secret)
    assert response.status_code == 200
    assert response.json()["status"] == "needs_info"


def test_wrong_code_or_secret_answer_the_same_404(anon, filed):
    code, secret = filed
    wrong_secret = anon.post(f"{API}/status/", {"code": code, "secret": secret + "x"}, format="json")
    wrong_code = anon.post(f"{API}/status/", {"code": "ZZZZ-ZZZZ-ZZZZ", "secret": secret}, format="json")
    assert wrong_secret.status_code == wrong_code.status_code == 404
    assert wrong_secret.json() == wrong_code.json()
    assert error_of(wrong_code)["code"] == "not_found"


def test_missing_receipt_headers_are_400(anon):
    response = anon.get(f"{API}/status/", HTTP_X_RECEIPT_CODE="ABCD-EFGH-JKMN")
    assert response.status_code == 400
    assert "X-Receipt-Secret" in error_of(response)["fields"]


def test_anonymous_complainant_answers_needs_info_and_adds_evidence(anon, filed, people):
    code, secret = filed
    from complaints.models import Complaint

    complaint = Complaint.objects.get(code=code)
    for action in ["triage", "start_review"]:
        services.complaint_transition(complaint=complaint, action=action, actor=people["reviewer"])
    services.complaint_transition(
        complaint=complaint, action="request_info", actor=people["reviewer"], comment="Photo?"
    )
    response = anon.post(
        f"{API}/status/evidence/",
        {"code": code, "secret": secret, "file": SimpleUploadedFile("photo.png", PNG)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "sha256", "size", "content_type", "original_name", "uploaded_at"}
    response = anon.post(
        f"{API}/status/transitions/",
        {"code": code, "secret": secret, "action": "provide_info", "comment": "Attached the photo."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.UNDER_REVIEW
    complaint.refresh_from_db()
    assert complaint.evidence.count() == 1
    assert complaint.notes.filter(from_complainant=True, body="Attached the photo.").exists()
    # Wrong secret: nothing happens.
    response = anon.post(
        f"{API}/status/transitions/", {"code": code, "secret": "guess", "action": "withdraw"}, format="json"
    )
    assert response.status_code == 404


def test_complainant_cannot_fire_staff_actions_or_act_out_of_state(anon, filed):
    code, secret = filed
    response = anon.post(
        f"{API}/status/transitions/", {"code": code, "secret": secret, "action": "triage"}, format="json"
    )
    assert response.status_code == 400
    assert "action" in error_of(response)["fields"]
    response = anon.post(
        f"{API}/status/transitions/",
        {"code": code, "secret": secret, "action": "provide_info", "comment": "x"},
        format="json",
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"
    response = anon.post(
        f"{API}/status/transitions/", {"code": code, "secret": secret, "action": "withdraw"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
