"""The case section of the staff complaint page: the chain, the next deadline, and the coordinators' forms."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints.models import Submission
from tests.api.conftest import PDF

pytestmark = pytest.mark.django_db


def page(client, complaint):
    return client.get(reverse("web-complaint", args=[complaint.code]))


def test_a_coordinator_records_submission_rejection_and_appeal_and_sees_the_chain(client, substantiated, staff, bodies,
                                                                                  rules):  # fmt: skip
    client.force_login(staff["coordinator"])
    html = page(client, substantiated).content.decode()
    assert 'data-action="submission"' in html
    assert f'value="{bodies["ekib"].pk}" selected' in html, "the competent commission is suggested"
    response = client.post(
        reverse("web-submission-create", args=[substantiated.code]),
        {"sub-authority": bodies["ekib"].pk, "sub-channel": "in_person", "sub-registration_number": "вх. № 9"},
    )
    assert response.status_code == 302
    submission = Submission.objects.get(complaint=substantiated)
    assert submission.registration_number == "вх. № 9"
    response = client.post(
        reverse("web-submission-outcome", args=[substantiated.code, submission.pk]),
        {
            f"outcome{submission.pk}-outcome": "rejected",
            f"outcome{submission.pk}-decided_on": timezone.localdate().isoformat(),
            f"outcome{submission.pk}-text": "Отказать",
            f"outcome{submission.pk}-file": SimpleUploadedFile("d.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.decision.result == "rejected"
    response = client.post(
        reverse("web-submission-appeal", args=[substantiated.code, submission.pk]),
        {f"appeal{submission.pk}-authority": bodies["pav"].pk, f"appeal{submission.pk}-channel": "post"},
    )
    assert response.status_code == 302
    appeal = Submission.objects.get(appeal_of=submission)
    html = page(client, substantiated).content.decode()
    assert f'data-submission="{submission.pk}" data-state="decided"' in html
    assert f'data-submission="{appeal.pk}" data-state="filed"' in html
    assert 'data-next-deadline="answer"' in html
    assert submission.decision.sha256 in html
    download = client.get(reverse("web-decision-file", args=[substantiated.code, submission.pk]))
    assert download.status_code == 200
    assert download["X-Content-SHA256"] == submission.decision.sha256


def test_reviewers_see_the_case_without_forms_and_may_not_post(client, filed, staff, bodies):
    client.force_login(staff["reviewer"])
    html = page(client, filed.complaint).content.decode()
    assert f'data-submission="{filed.pk}"' in html
    assert 'data-action="submission"' not in html
    assert 'data-action="outcome"' not in html
    response = client.post(
        reverse("web-submission-outcome", args=[filed.complaint.code, filed.pk]), {"outcome-outcome": "registered"}
    )
    assert response.status_code == 403


def test_out_of_scope_is_404(client, filed, staff):
    client.force_login(staff["coordinator_ala"])
    assert client.post(reverse("web-submission-create", args=[filed.complaint.code]), {}).status_code == 404
    assert client.get(reverse("web-decision-file", args=[filed.complaint.code, filed.pk])).status_code == 404


def test_a_refused_outcome_shows_the_reason(client, filed, staff):
    client.force_login(staff["coordinator"])
    response = client.post(
        reverse("web-submission-outcome", args=[filed.complaint.code, filed.pk]),
        {f"outcome{filed.pk}-outcome": "rejected"},
        follow=True,
    )
    assert "decided_on" in response.content.decode()
    assert Submission.objects.get(pk=filed.pk).state == "filed"


def test_respondent_and_reply_forms(client, substantiated, staff):
    client.force_login(staff["coordinator"])
    response = client.post(
        reverse("web-respondent-create", args=[substantiated.code]), {"kind": "official", "name": "Аким"}
    )
    assert response.status_code == 302
    respondent = substantiated.respondents.get()
    response = client.post(
        reverse("web-reply-create", args=[substantiated.code, respondent.pk]),
        {"received_on": timezone.localdate().isoformat(), "text": "Ответ акима"},
    )
    assert response.status_code == 302
    assert "Ответ акима" in page(client, substantiated).content.decode()


def test_the_page_query_count_does_not_grow_with_the_chain(client, filed, staff, bodies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from complaints import services

    client.force_login(staff["coordinator"])
    page(client, filed.complaint)
    with CaptureQueriesContext(connection) as one:
        page(client, filed.complaint)
    services.submission_record_outcome(
        submission=filed, actor=staff["coordinator"], outcome="rejected", decided_on=timezone.localdate()
    )
    appeal = services.submission_appeal(submission=filed, actor=staff["coordinator"])
    services.submission_record_outcome(
        submission=appeal, actor=staff["coordinator"], outcome="rejected", decided_on=timezone.localdate()
    )
    services.submission_appeal(submission=appeal, actor=staff["coordinator"])
    r = services.respondent_add(complaint=filed.complaint, actor=staff["coordinator"], kind="official", name="A")
    services.respondent_reply_add(respondent=r, actor=staff["coordinator"], received_on=timezone.localdate(), text="t")
    with CaptureQueriesContext(connection) as three:
        page(client, filed.complaint)
    assert len(three.captured_queries) <= len(one.captured_queries) + 1  # + the replies of the respondents
