"""Following a complaint: status by receipt code + secret, answering a request for information."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from complaints import services
from complaints.models import Evidence, Note, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def filing(election, category, territory):
    return services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now() - timedelta(hours=1),
        description="Наблюдателя не пустили на участок до начала подсчёта.",
    )


def _to_needs_info(complaint, reviewer, question="Сколько человек это видели?"):
    for action in ("triage", "start_review"):
        complaint = services.complaint_transition(complaint=complaint, action=action, actor=reviewer)
    return services.complaint_transition(complaint=complaint, action="request_info", actor=reviewer, comment=question)


def _unlock(client, filing):
    return client.post(reverse("web-status"), {"code": filing.complaint.code.lower(), "secret": filing.secret})


def _ref(response):
    """The page handle the unlock redirected to (the receipt code is never in the URL)."""
    return resolve(response["Location"]).kwargs["ref"]


def test_code_and_secret_unlock_the_status_without_putting_the_secret_in_a_url(client, filing):
    response = _unlock(client, filing)
    assert response.status_code == 302
    assert response["Location"] == reverse("web-track", args=[_ref(response)])
    assert filing.secret not in response["Location"]
    assert filing.complaint.code not in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Submitted" in html
    assert filing.complaint.code in html
    assert filing.secret not in html


def test_wrong_secret_is_refused_with_a_helpful_message(client, filing):
    response = client.post(reverse("web-status"), {"code": filing.complaint.code, "secret": "nope"})
    assert response.status_code == 400
    assert "No complaint matches this receipt code and secret" in response.content.decode()
    assert client.get(reverse("web-track", args=[filing.complaint.code])).status_code == 404


def test_status_page_needs_the_secret_first(client, filing):
    assert client.get(reverse("web-track", args=[filing.complaint.code])).status_code == 404


def test_anonymous_complainant_answers_a_request_for_information_with_text_and_a_file(
    client, filing, reviewer_pav, png_upload
):
    complaint = _to_needs_info(filing.complaint, reviewer_pav)
    Note.objects.create(complaint=complaint, body="internal: check CCTV", visibility="internal")
    ref = _ref(_unlock(client, filing))
    page = client.get(reverse("web-track", args=[ref]))
    html = page.content.decode()
    assert "Сколько человек это видели?" in html
    assert "internal: check CCTV" not in html  # internal notes never reach the complainant

    response = client.post(
        reverse("web-track-answer", args=[ref]),
        {"version": complaint.version, "comment": "Трое: я и двое соседей.", "files": [png_upload("more.png")]},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.UNDER_REVIEW
    assert Evidence.objects.filter(complaint=complaint, original_name="more.png").exists()
    answer = Note.objects.get(complaint=complaint, from_complainant=True)
    assert answer.body == "Трое: я и двое соседей."


def test_stale_answer_is_a_conflict_not_an_overwrite(client, filing, reviewer_pav):
    complaint = _to_needs_info(filing.complaint, reviewer_pav)
    ref = _ref(_unlock(client, filing))
    response = client.post(
        reverse("web-track-answer", args=[ref]), {"version": complaint.version - 1, "comment": "late"}
    )
    assert response.status_code == 409
    assert "Needs information" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.NEEDS_INFO


def test_complainant_adds_evidence_and_withdraws(client, filing, png_upload):
    code = _ref(_unlock(client, filing))
    assert client.post(reverse("web-track-evidence", args=[code]), {"files": [png_upload()]}).status_code == 302
    assert filing.complaint.evidence.count() == 1
    filing.complaint.refresh_from_db()
    response = client.post(reverse("web-track-withdraw", args=[code]), {"version": filing.complaint.version})
    assert response.status_code == 302
    filing.complaint.refresh_from_db()
    assert filing.complaint.status == Status.WITHDRAWN


def test_signed_in_filer_answers_from_my_complaints(client, election, category, territory, observer, reviewer_pav):
    complaint = services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now(),
        description="Работодатель угрожает увольнением.",
        reporter_user=observer,
        full_name="Observer One",
    ).complaint
    complaint = _to_needs_info(complaint, reviewer_pav, "Как зовут директора?")
    client.force_login(observer)
    mine = client.get(reverse("web-my"))
    assert complaint.code in mine.content.decode()
    assert "Your answer is needed" in mine.content.decode()
    ref = mine.context["page"].object_list[0].track_ref
    response = client.post(
        reverse("web-track-answer", args=[ref]), {"version": complaint.version, "comment": "Иванов И.И."}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.UNDER_REVIEW


def test_another_observer_cannot_follow_someone_elses_complaint(client, filing, make_user):
    client.force_login(make_user("observer"))
    assert client.get(reverse("web-track", args=[filing.complaint.code])).status_code == 404
