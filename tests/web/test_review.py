"""Reviewer and coordinator pages: scope, queue, workflow actions, evidence, identity, dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import AuditEvent, Complaint, Status
from tests.images import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def almaty_complaint(file_complaint, territory):
    return file_complaint(polling_station=territory["ps_ala"], description="Вброс бюллетеней на участке 101.")


def _act(client, complaint, action, **data):
    complaint.refresh_from_db()
    payload = {"version": complaint.version, **data}
    return client.post(reverse("web-complaint-act", args=[complaint.code, action]), payload)


# --- access -------------------------------------------------------------------------


def test_reviewer_outside_their_scope_gets_404_for_the_page_and_the_evidence(
    client, reviewer_pav, almaty_complaint, file_complaint, png_upload
):
    ev = services.evidence_attach(
        complaint=almaty_complaint,
        upload=png_upload(),
        actor=almaty_complaint.reporter.user or services.ComplainantActor(almaty_complaint.pk),
    )
    pav = file_complaint()
    client.force_login(reviewer_pav)
    assert client.get(reverse("web-complaint", args=[pav.code])).status_code == 200
    assert client.get(reverse("web-complaint", args=[almaty_complaint.code])).status_code == 404
    assert client.get(reverse("web-evidence", args=[almaty_complaint.code, ev.pk])).status_code == 404
    assert _act(client, almaty_complaint, "triage").status_code == 404
    queue = client.get(reverse("web-queue")).content.decode()
    assert pav.code in queue
    assert almaty_complaint.code not in queue


def test_queue_is_for_staff_only(client, observer):
    assert client.get(reverse("web-queue")).status_code == 302  # to sign in
    client.force_login(observer)
    assert client.get(reverse("web-queue")).status_code == 403
    assert client.get(reverse("web-dashboard")).status_code == 403


def test_observer_who_filed_cannot_open_the_staff_page(client, observer, file_complaint):
    complaint = file_complaint(reporter_user=observer, full_name="Obs")
    client.force_login(observer)
    response = client.get(reverse("web-complaint", args=[complaint.code]))
    assert response.status_code == 403
    assert complaint.description not in response.content.decode()


# --- queue --------------------------------------------------------------------------


def test_queue_filters_live_in_the_url_and_counts_follow_them(client, coordinator, file_complaint, territory):
    a = file_complaint()
    b = file_complaint(polling_station=territory["ps_ala"])
    services.complaint_transition(complaint=b, action="triage", actor=coordinator)
    client.force_login(coordinator)
    response = client.get(reverse("web-queue"), {"status": "triaged"})
    html = response.content.decode()
    assert b.code in html
    assert a.code not in html
    assert response.context["counts"]["submitted"] == 1
    assert response.context["counts"]["triaged"] == 1
    by_region = client.get(reverse("web-queue"), {"region": "pav"}).content.decode()
    assert a.code in by_region
    assert b.code not in by_region
    assert client.get(reverse("web-queue"), {"q": b.code}).context["page"].paginator.count == 1


def test_overdue_complaints_come_first_and_are_flagged(client, coordinator, file_complaint):
    fresh = file_complaint()
    late = file_complaint()
    Complaint.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=2))
    client.force_login(coordinator)
    response = client.get(reverse("web-queue"))
    rows = list(response.context["page"])
    assert [c.code for c in rows] == [late.code, fresh.code]
    assert "overdue" in response.content.decode()
    only_late = client.get(reverse("web-queue"), {"overdue": "on"})
    assert [c.code for c in only_late.context["page"]] == [late.code]


def test_queue_query_count_does_not_grow_with_rows(
    client, coordinator, file_complaint, territory, django_assert_max_num_queries
):
    client.force_login(coordinator)
    file_complaint()
    client.get(reverse("web-queue"))  # warm the session and permission caches
    # 14 before the legal case and the documents sections; the case section reads its submissions, clocks,
    # respondents, rules and the authority register (5), however many there are; the publication section
    # reads the complaint's published case (1).
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("web-queue"))
    for i in range(20):
        file_complaint(polling_station=territory["ps_ala"] if i % 2 else territory["ps_pav"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("web-queue"))
    assert len(response.context["page"].object_list) == 21


def test_complaint_page_query_count_does_not_grow_with_evidence_notes_and_events(
    client, coordinator, file_complaint, png_upload, django_assert_max_num_queries
):
    complaint = file_complaint(files=[png_upload()])
    client.force_login(coordinator)
    url = reverse("web-complaint", args=[complaint.code])
    client.get(url)
    # 14 before the legal case and the documents sections; the case section reads its submissions, clocks,
    # respondents, rules and the authority register (5), however many there are; the publication section
    # reads the complaint's published case (1).
    with django_assert_max_num_queries(25) as few:
        client.get(url)
    for i in range(8):
        services.evidence_attach(complaint=complaint, upload=png_upload(f"p{i}.png"), actor=coordinator)
        services.note_add(complaint=complaint, actor=coordinator, body=f"note {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["evidence"]) == 9
    assert len(response.context["notes"]) == 8


def test_bulk_assignment_by_a_coordinator(client, coordinator, reviewer_pav, file_complaint, territory):
    a, b = file_complaint(), file_complaint()
    alma = file_complaint(polling_station=territory["ps_ala"])
    client.force_login(coordinator)
    response = client.post(
        reverse("web-queue-assign"),
        {"codes": [a.code, b.code, alma.code], "assignee": reviewer_pav.pk, "next": "/queue/?status=submitted"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/queue/?status=submitted"
    assert set(Complaint.objects.filter(assignee=reviewer_pav).values_list("code", flat=True)) == {a.code, b.code}
    # Almaty is outside the reviewer's region: refused for that row only, with a reason.
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(alma.code in m and "not a reviewer for this complaint's territory" in m for m in messages)


def test_bulk_assignment_is_for_coordinators(client, reviewer_pav, file_complaint):
    a = file_complaint()
    client.force_login(reviewer_pav)
    assert "bulk" not in client.get(reverse("web-queue")).content.decode().split("<main")[1].split('class="queue"')[0]
    response = client.post(reverse("web-queue-assign"), {"codes": [a.code], "assignee": reviewer_pav.pk})
    assert response.status_code == 403


# --- the complaint page ---------------------------------------------------------------


def test_only_allowed_actions_are_offered_with_the_fields_they_need(client, reviewer_pav, coordinator, file_complaint):
    complaint = file_complaint()
    client.force_login(reviewer_pav)
    actions = [
        f.transition.action for f in client.get(reverse("web-complaint", args=[complaint.code])).context["action_forms"]
    ]
    assert actions == ["triage", "reject", "mark_duplicate"]
    for action in ("triage", "start_review"):
        assert _act(client, complaint, action).status_code == 302
    assert _act(client, complaint, "substantiate").status_code == 302
    page = client.get(reverse("web-complaint", args=[complaint.code]))
    assert [f.transition.action for f in page.context["action_forms"]] == []  # escalation is for coordinators
    client.force_login(coordinator)
    forms = client.get(reverse("web-complaint", args=[complaint.code])).context["action_forms"]
    escalate = next(f for f in forms if f.transition.action == "escalate")
    assert {"authority", "authority_reference", "version"} <= set(escalate.fields)


def test_request_info_needs_a_comment(client, reviewer_pav, file_complaint):
    complaint = file_complaint()
    client.force_login(reviewer_pav)
    _act(client, complaint, "triage")
    _act(client, complaint, "start_review")
    missing = _act(client, complaint, "request_info", comment="")
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()
    assert _act(client, complaint, "request_info", comment="Пришлите фото.").status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.NEEDS_INFO


def test_stale_version_shows_a_conflict_naming_the_current_status(
    client, reviewer_pav, make_user, file_complaint, territory
):
    complaint = file_complaint()
    client.force_login(reviewer_pav)
    old_version = complaint.version
    other = make_user("reviewer", [territory["pav"]])
    services.complaint_transition(complaint=complaint, action="triage", actor=other)
    response = client.post(
        reverse("web-complaint-act", args=[complaint.code, "reject"]), {"version": old_version, "comment": "spam"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Conflict" in html
    assert "Triaged" in html
    complaint.refresh_from_db()
    assert complaint.status == Status.TRIAGED


def test_mark_duplicate_with_a_suggested_original(client, reviewer_pav, file_complaint):
    original = file_complaint()
    dup = file_complaint()
    client.force_login(reviewer_pav)
    page = client.get(reverse("web-complaint", args=[dup.code]))
    assert [c.code for c in page.context["suggestions"]] == [original.code]
    assert _act(client, dup, "mark_duplicate", duplicate_of=original.code.lower()).status_code == 302
    dup.refresh_from_db()
    assert dup.status == Status.DUPLICATE
    assert dup.duplicate_of == original
    unknown = file_complaint()
    bad = _act(client, unknown, "mark_duplicate", duplicate_of="AAAA-BBBB-CCCC")
    assert bad.status_code == 400
    assert "No complaint AAAA-BBBB-CCCC" in bad.content.decode()


def test_take_release_and_assign(client, reviewer_pav, coordinator, file_complaint):
    complaint = file_complaint()
    client.force_login(reviewer_pav)
    url = reverse("web-complaint-assign", args=[complaint.code])
    assert client.post(url, {"how": "take", "version": complaint.version}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.assignee == reviewer_pav
    page = client.get(reverse("web-complaint", args=[complaint.code])).content.decode()
    assert "Айгуль Сеитова" in page
    client.force_login(coordinator)
    assert (
        client.post(url, {"how": "assign", "assignee": coordinator.pk, "version": complaint.version}).status_code == 302
    )
    complaint.refresh_from_db()
    assert complaint.assignee == coordinator


def test_notes_internal_and_to_the_complainant(client, reviewer_pav, file_complaint):
    complaint = file_complaint()
    client.force_login(reviewer_pav)
    url = reverse("web-complaint-note", args=[complaint.code])
    assert client.post(url, {"body": "Проверить видео", "visibility": "internal"}).status_code == 302
    assert client.post(url, {"body": "", "visibility": "internal"}).status_code == 400
    assert client.post(url, {"body": "Спасибо", "visibility": "complainant"}).status_code == 302
    assert list(complaint.notes.values_list("visibility", flat=True)) == ["internal", "complainant"]


def test_evidence_is_served_through_the_permission_check(client, reviewer_pav, file_complaint, png_upload):
    pdf = SimpleUploadedFile("act.pdf", pdf_bytes(), "application/pdf")
    complaint = file_complaint(files=[png_upload("scene.png"), pdf])
    image, document = complaint.evidence.order_by("id")
    client.force_login(reviewer_pav)
    page = client.get(reverse("web-complaint", args=[complaint.code])).content.decode()
    assert image.sha256 in page
    assert document.sha256 in page
    assert "/media/" not in page
    shown = client.get(reverse("web-evidence", args=[complaint.code, image.pk]))
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    assert "sandbox" in shown["Content-Security-Policy"]
    download = client.get(reverse("web-evidence", args=[complaint.code, document.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert "act.pdf" in download["Content-Disposition"]
    client.logout()
    assert client.get(reverse("web-evidence", args=[complaint.code, image.pk])).status_code == 302


def test_identity_is_behind_a_button_for_permitted_users_and_every_view_is_audited(
    client, reviewer_pav, coordinator, file_complaint
):
    complaint = file_complaint(full_name="Сауле Ахметова", email="saule@example.org")
    client.force_login(reviewer_pav)
    page = client.get(reverse("web-complaint", args=[complaint.code])).content.decode()
    assert "Сауле" not in page
    assert "Show identity" not in page
    assert client.post(reverse("web-complaint-identity", args=[complaint.code])).status_code == 403

    client.force_login(coordinator)
    page = client.get(reverse("web-complaint", args=[complaint.code])).content.decode()
    assert "Сауле" not in page
    assert "Show identity" in page
    shown = client.post(reverse("web-complaint-identity", args=[complaint.code]), {"purpose": "call back"})
    assert shown.status_code == 200
    assert "Сауле Ахметова" in shown.content.decode()
    assert "saule@example.org" in shown.content.decode()
    event = AuditEvent.objects.get(complaint=complaint, action="identity_viewed")
    assert event.actor == coordinator
    assert event.payload == {"purpose": "call back"}


def test_dashboard_shows_breaches_load_and_charts(client, coordinator, reviewer_pav, file_complaint, territory):
    late = file_complaint()
    file_complaint(polling_station=territory["ps_ala"])
    services.complaint_assign(complaint=late, assignee=reviewer_pav, actor=coordinator)
    Complaint.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=3))
    client.force_login(coordinator)
    response = client.get(reverse("web-dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert [c.code for c in response.context["breaches"]] == [late.code]
    assert "<svg" in html
    assert "Pavlodar Region" in html
    assert "Almaty" in html
    load = {row.label: (row.count, row.overdue) for row in response.context["load"]}
    assert load["Айгуль Сеитова"] == (1, 1)
    client.force_login(reviewer_pav)
    assert client.get(reverse("web-dashboard")).status_code == 403


def test_the_timeline_never_names_the_filer(client, coordinator, make_user, file_complaint, png_upload):
    filer = make_user("observer", username="filer-zhanar", first_name="Жанар", last_name="Искакова")
    complaint = file_complaint(reporter_user=filer, full_name="Жанар Искакова", files=[png_upload()])
    services.note_add(complaint=complaint, actor=filer, body="Дополнение от заявителя")
    client.force_login(coordinator)
    html = client.get(reverse("web-complaint", args=[complaint.code])).content.decode()
    assert "Дополнение от заявителя" in html
    assert "Жанар" not in html
    assert "filer-zhanar" not in html
    assert "the complainant" in html


def test_identity_needs_a_purpose_and_a_csrf_token(client, make_user, territory, file_complaint):
    from django.test import Client

    complaint = file_complaint(full_name="Айгуль Сейтова", email="aigul@example.org")
    coordinator = make_user("coordinator", [territory["pav"]])
    client.force_login(coordinator)
    url = reverse("web-complaint-identity", args=[complaint.code])
    before = complaint.audit_events.count()
    refused = client.post(url, {"purpose": ""})
    assert refused.status_code == 400
    assert "Айгуль" not in refused.content.decode()
    assert complaint.audit_events.count() == before
    cross_site = Client(enforce_csrf_checks=True)
    cross_site.force_login(coordinator)
    assert cross_site.post(url, {"purpose": "call back"}).status_code == 403
    assert complaint.audit_events.count() == before
    assert client.get(url).status_code == 405
