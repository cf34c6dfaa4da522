"""The case endpoints: error format, scope (404) and role (403), the queue's deadline filter and sort, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import services
from complaints.models import CaseDeadline, Submission
from tests.api.conftest import API, PDF, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def coord(client_for, staff):
    return client_for(staff["coordinator"])


def url(complaint, tail=""):
    return f"{API}/complaints/{complaint.code}/{tail}"


def test_record_a_submission_then_a_rejection_with_its_file_then_the_appeal(coord, substantiated, bodies, rules):
    response = coord.post(
        url(substantiated, "submissions/"),
        {"authority": bodies["ekib"].pk, "channel": "in_person", "registration_number": "вх. № 5"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "registered"
    assert body["authority"]["code"] == "pav-ekib-tec"
    assert body["answer_due_at"]
    assert "ст. 20" in body["legal_reference"]
    assert "rejected" in body["available_outcomes"]
    assert body["can_appeal"] is False
    sid = body["id"]
    response = coord.post(
        url(substantiated, f"submissions/{sid}/outcome/"),
        {"outcome": "rejected", "decided_on": timezone.localdate().isoformat(), "text": "Отказ", "file": _pdf()},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    decision = response.json()["decision"]
    assert decision["result"] == "rejected"
    assert len(decision["sha256"]) == 64
    assert decision["appeal_due_at"]
    response = coord.post(url(substantiated, f"submissions/{sid}/appeal/"), {"channel": "email"}, format="json")
    assert response.status_code == 201, response.json()
    appeal = response.json()
    assert appeal["appeal_of"] == sid
    assert appeal["authority"]["code"] == "pav-oec"
    case = coord.get(url(substantiated, "case/")).json()
    assert case["chains"] == [[sid, appeal["id"]]]
    assert case["next_deadline"]["kind"] == "answer"
    assert case["next_deadline"]["submission_id"] == appeal["id"]
    listed = coord.get(url(substantiated, "submissions/")).json()
    assert [s["id"] for s in listed] == [sid, appeal["id"]]
    assert coord.get(url(substantiated, f"submissions/{sid}/")).json()["decision"]["result"] == "rejected"


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("decision.pdf", PDF, content_type="application/pdf")


def test_errors_use_the_project_format(coord, substantiated, filed, bodies):
    e = error_of(coord.post(url(substantiated, "submissions/"), {"channel": "fax"}, format="json"))
    assert "channel" in e["fields"]
    e = error_of(coord.post(url(substantiated, "submissions/"), {"channel": "post"}, format="json"))
    assert e["code"] == "missing_requirement"
    assert "authority" in e["fields"]
    e = error_of(coord.post(url(substantiated, "submissions/"), {"authority": 999999}, format="json"))
    assert "authority" in e["fields"]
    response = coord.post(url(substantiated, f"submissions/{filed.pk}/appeal/"), {}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"
    response = coord.post(
        url(substantiated, f"submissions/{filed.pk}/outcome/"), {"outcome": "rejected", "decided_on": "2099-01-01"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "decided_on" in error_of(response)["fields"]
    assert coord.get(url(substantiated, "submissions/999999/")).status_code == 404
    assert coord.get(url(substantiated, "submissions/abc/")).status_code == 404
    e = error_of(coord.post(url(substantiated, "submissions/"), {"authority": "x"}, format="json"))
    assert e["fields"]["authority"][0]["code"] == "invalid_type"


def test_scope_and_roles(client_for, staff, substantiated, filed, make_user, territory):
    elsewhere = client_for(staff["coordinator_ala"])
    for path in ("case/", "submissions/", f"submissions/{filed.pk}/", "respondents/"):
        assert elsewhere.get(url(substantiated, path)).status_code == 404, path
    response = elsewhere.post(url(substantiated, f"submissions/{filed.pk}/outcome/"), {"outcome": "registered"})
    assert response.status_code == 404
    reviewer = client_for(staff["reviewer"])
    assert reviewer.get(url(substantiated, "case/")).status_code == 200, "staff in scope read the case"
    response = reviewer.post(
        url(substantiated, f"submissions/{filed.pk}/outcome/"), {"outcome": "under_consideration"}, format="json"
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_allowed"
    observer = make_user("observer")
    assert client_for(observer).get(url(substantiated, "case/")).status_code == 404


def test_respondent_and_reply(coord, substantiated):
    response = coord.post(url(substantiated, "respondents/"), {"kind": "employer", "name": "Директор"}, format="json")
    assert response.status_code == 201
    rid = response.json()["id"]
    response = coord.post(
        url(substantiated, f"respondents/{rid}/replies/"),
        {"received_on": timezone.localdate().isoformat(), "text": "Ничего такого", "file": _pdf()},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert len(response.json()["sha256"]) == 64
    listed = coord.get(url(substantiated, "respondents/")).json()
    assert listed[0]["replies"][0]["text"] == "Ничего такого"
    assert coord.post(url(substantiated, "respondents/999/replies/"), {}, format="json").status_code == 404


def test_the_queue_filters_and_sorts_by_the_next_deadline(coord, substantiated, file_complaint, staff, bodies, rules):
    later = file_complaint()
    soon = services.submission_file(complaint=substantiated, actor=staff["coordinator"], authority=bodies["ekib"])
    CaseDeadline.objects.filter(submission=soon).update(due_at=timezone.now() + timedelta(hours=5))
    from tests.workflow.helpers import force_state

    later = force_state(later, "substantiated")
    far = services.submission_file(complaint=later, actor=staff["coordinator"], authority=bodies["ekib"])
    CaseDeadline.objects.filter(submission=far).update(due_at=timezone.now() + timedelta(days=3))
    codes = [r["code"] for r in coord.get(f"{API}/complaints/?deadline_within=24h").json()["results"]]
    assert codes == [substantiated.code]
    codes = [r["code"] for r in coord.get(f"{API}/complaints/?deadline_within=4d").json()["results"]]
    assert set(codes) == {substantiated.code, later.code}
    ordered = [r["code"] for r in coord.get(f"{API}/complaints/?ordering=next_deadline&page_size=1").json()["results"]]
    assert ordered == [substantiated.code]
    page = coord.get(f"{API}/complaints/?ordering=next_deadline&page_size=1").json()
    second = coord.get(page["next"]).json()["results"]
    assert [r["code"] for r in second] == [later.code]
    e = error_of(coord.get(f"{API}/complaints/?deadline_within=soon"))
    assert "deadline_within" in e["fields"]


def test_authority_register(coord, bodies):
    data = coord.get(f"{API}/authorities/?kind=commission").json()
    assert {a["code"] for a in data} == {"kz-cec", "pav-oec", "pav-ekib-tec", "ala-cec"}


def _count(call):
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    return response, len(ctx.captured_queries)


# Today's counts on the test database (API key, groups and scope included): a regression shows here,
# and none of them grows with the number of submissions already on the complaint.
# outcome and appeal +1 since issue 13: the message their transition writes is indexed for search (services.search).
BOUNDS = {"submission": 18, "outcome": 23, "appeal": 23, "respondent": 12, "case": 8}


def test_write_paths_run_a_bounded_number_of_queries(client_for, staff, substantiated, bodies, rules):
    coord = client_for(staff["coordinator"])
    coord.get(f"{API}/categories/")  # warm per-process caches
    counts = {}
    for _ in range(2):  # the second round has more rows around: the counts must not grow
        response, counts["submission"] = _count(
            lambda: coord.post(url(substantiated, "submissions/"), {"authority": bodies["ekib"].pk}, format="json")
        )
        assert response.status_code == 201
        sid = response.json()["id"]
        response, counts["outcome"] = _count(
            lambda sid=sid: coord.post(
                url(substantiated, f"submissions/{sid}/outcome/"),
                {"outcome": "rejected", "decided_on": timezone.localdate().isoformat()},
                format="json",
            )
        )
        assert response.status_code == 200
        response, counts["appeal"] = _count(
            lambda sid=sid: coord.post(url(substantiated, f"submissions/{sid}/appeal/"), {}, format="json")
        )
        assert response.status_code == 201
        response, counts["respondent"] = _count(
            lambda: coord.post(url(substantiated, "respondents/"), {"kind": "other", "name": "X"}, format="json")
        )
        assert response.status_code == 201
        response, counts["case"] = _count(lambda: coord.get(url(substantiated, "case/")))
        assert response.status_code == 200
        for name, n in counts.items():
            assert n <= BOUNDS[name], (name, n)
    assert Submission.objects.filter(complaint=substantiated).count() == 4
