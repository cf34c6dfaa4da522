"""The publish and unpublish forms on the staff complaint page: warnings, refusals, roles and scope."""

from __future__ import annotations

import pytest

from complaints.models import AuditEvent, PublishedCase
from tests.publication.conftest import SUMMARY

pytestmark = pytest.mark.django_db


def test_the_coordinator_sees_the_form_with_both_hashes_of_each_ready_copy(client, case_complaint, coordinator, ready):
    client.force_login(coordinator)
    html = client.get(f"/complaints/{case_complaint.code}/").content.decode()
    assert "data-publication" in html
    assert 'data-action="publish"' in html
    for e in ready:
        assert e.sha256 in html
        assert e.public_sha256 in html


def test_a_reviewer_sees_no_form_and_may_not_post(client, case_complaint, make_user):
    reviewer = make_user("reviewer")
    client.force_login(reviewer)
    html = client.get(f"/complaints/{case_complaint.code}/").content.decode()
    assert 'data-action="publish"' not in html
    response = client.post(f"/complaints/{case_complaint.code}/publish/", {"summary": SUMMARY, "language": "ru"})
    assert response.status_code == 403
    assert not PublishedCase.objects.exists()


def test_outside_the_scope_the_complaint_does_not_exist(client, case_complaint, make_user, territory):
    client.force_login(make_user("coordinator", [territory["ala"]]))
    response = client.post(f"/complaints/{case_complaint.code}/publish/", {"summary": SUMMARY, "language": "ru"})
    assert response.status_code == 404


def test_a_summary_naming_the_reporter_is_refused_on_the_page(client, case_complaint, coordinator):
    client.force_login(coordinator)
    response = client.post(
        f"/complaints/{case_complaint.code}/publish/", {"summary": f"{SUMMARY} Байкенов Е.", "language": "ru"}
    )
    assert response.status_code == 400
    assert "имя заявителя" in response.content.decode()  # the coordinator works in Russian
    assert not PublishedCase.objects.exists()


def test_warnings_are_shown_then_acknowledged_and_unpublish_with_reason(client, case_complaint, coordinator, ready):
    client.force_login(coordinator)
    url = f"/complaints/{case_complaint.code}/publish/"
    data = {"summary": f"{SUMMARY} Участок 512.", "language": "ru", "evidence": [ready[0].pk], "show_station": "on"}
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "data-publication-warnings" in html
    assert "512" in html
    assert 'name="acknowledge_warnings"' in html
    assert not PublishedCase.objects.exists()

    response = client.post(url, {**data, "acknowledge_warnings": "on"})
    assert response.status_code == 302
    case = PublishedCase.objects.get()
    assert case.is_published
    assert case.show_station
    assert list(case.evidence.all()) == [ready[0]]
    html = client.get(f"/complaints/{case_complaint.code}/").content.decode()
    assert f'data-published="{case.slug}"' in html

    unpublish = f"/complaints/{case_complaint.code}/unpublish/"
    assert client.post(unpublish, {"reason": ""}).status_code == 400
    assert client.post(unpublish, {"reason": "Наблюдатель просит снять"}).status_code == 302
    case.refresh_from_db()
    assert not case.is_published
    assert AuditEvent.objects.filter(complaint=case_complaint, action="case_unpublished").count() == 1
    html = client.get(f"/complaints/{case_complaint.code}/").content.decode()
    assert "Наблюдатель просит снять" in html
    assert "Дело снято с публикации" in html
