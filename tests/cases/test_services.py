"""The case services: submission, outcome, appeal, respondents; audit chain, outbox, deadlines, permissions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import services
from complaints.audit import verify_chains
from complaints.deadlines import ALMATY
from complaints.errors import InvalidTransition, MissingRequirement, NotAllowed, ValidationFailed
from complaints.events import EventType
from complaints.models import (
    AuditEvent,
    CaseDeadline,
    Complaint,
    OutboxMessage,
    Status,
    Submission,
    SubmissionState,
)
from tests.api.conftest import PDF, PNG
from tests.workflow.helpers import force_state

pytestmark = pytest.mark.django_db
APRIL = datetime(2011, 3, 28, 10, 0, tzinfo=ALMATY)


def events_of(complaint: Complaint) -> list[str]:
    return list(AuditEvent.objects.filter(complaint=complaint).order_by("seq").values_list("action", flat=True))


def test_a_submission_starts_the_answer_clock_is_audited_and_tells_webhooks(substantiated, staff, bodies, rules):
    with time_machine.travel(APRIL + timedelta(hours=1), tick=False):
        submission = services.submission_file(
            complaint=substantiated,
            actor=staff["coordinator"],
            authority=bodies["ekib"],
            channel="post",
            submitted_at=APRIL,
            document_sha256="A" * 64,
        )
    assert submission.state == SubmissionState.FILED
    assert submission.document_sha256 == "a" * 64
    # 28 March + 5 calendar days = 2 April, a Saturday: the next working day, Monday 4 April, ends it.
    assert submission.answer_due_at == datetime(2011, 4, 4, 23, 59, 59, tzinfo=ALMATY)
    assert submission.deadline_rule.needs_legal_review
    clock = CaseDeadline.objects.get(submission=submission)
    assert (clock.kind, clock.state, clock.due_at) == ("answer", "open", submission.answer_due_at)
    assert "ст. 20" in clock.legal_reference
    assert events_of(substantiated)[-1] == "case_submitted"
    assert list(verify_chains([substantiated.pk])) == []
    rows = OutboxMessage.objects.filter(complaint=substantiated, event_type=EventType.CASE_SUBMITTED)
    assert not rows.filter(channel="email").exists(), "case.submitted emails nobody"


def test_registering_with_a_number_at_filing_and_later(substantiated, staff, bodies, rules):
    at_once = services.submission_file(
        complaint=substantiated, actor=staff["coordinator"], authority=bodies["ekib"], registration_number="вх. № 7"
    )
    assert at_once.state == SubmissionState.REGISTERED
    later = services.submission_file(complaint=substantiated, actor=staff["coordinator"], authority_text="Акимат")
    assert later.authority is None
    assert later.authority_label == "Акимат"
    with pytest.raises(MissingRequirement):
        services.submission_record_outcome(submission=later, actor=staff["coordinator"], outcome="registered")
    later = services.submission_record_outcome(
        submission=later, actor=staff["coordinator"], outcome="registered", registration_number="12"
    )
    assert (later.state, later.registration_number) == (SubmissionState.REGISTERED, "12")


def test_free_text_naming_a_registered_body_links_to_it(substantiated, staff, bodies, rules):
    s = services.submission_file(
        complaint=substantiated,
        actor=staff["coordinator"],
        authority_text="  павлодарская областная избирательная комиссия ",
    )
    assert s.authority == bodies["pav"]
    assert s.authority_text == ""


def test_decision_with_its_document_hashed_like_evidence_opens_the_appeal_clock(
    filed, staff, mailoutbox, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("решение.pdf", PDF, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.submission_record_outcome(
            submission=filed,
            actor=staff["coordinator"],
            outcome="rejected",
            decided_on=timezone.localdate(),
            text="Отказать.",
            upload=upload,
        )
    decision = decided.decision
    import hashlib

    assert decision.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (decision.content_type, decision.original_name, decision.size) == (
        "application/pdf",
        "решение.pdf",
        len(PDF),
    )
    assert decision.appeal_due_at is not None
    clocks = {c.kind: c.state for c in CaseDeadline.objects.filter(submission=filed)}
    assert clocks == {"answer": "met", "appeal": "open"}
    sent = {(m.to[0], m.subject) for m in mailoutbox}
    assert ("voter@example.org", f"The authority decided on complaint {filed.complaint.code}") in sent
    assert any(to == staff["coordinator"].email for to, _ in sent)
    body = next(m.body for m in mailoutbox if m.to == ["voter@example.org"])
    assert "rejected" in body
    assert "Экибастузская ТИК" in body
    assert list(verify_chains([filed.complaint_id])) == []


def test_an_upheld_decision_opens_no_appeal_clock_and_is_final(filed, staff):
    decided = services.submission_record_outcome(
        submission=filed, actor=staff["coordinator"], outcome="upheld", decided_on=timezone.localdate()
    )
    assert decided.decision.appeal_due_at is None
    assert not CaseDeadline.objects.filter(submission=filed, kind="appeal").exists()
    with pytest.raises(InvalidTransition):
        services.submission_record_outcome(
            submission=filed, actor=staff["coordinator"], outcome="rejected", decided_on=timezone.localdate()
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "rejected"}, None),  # no decision date: MissingRequirement
        ({"outcome": "rejected", "decided_on": date(2099, 1, 1)}, "decided_on"),
        ({"outcome": "rejected", "decided_on": date(2000, 1, 1)}, "decided_on"),
        ({"outcome": "maybe"}, "outcome"),
    ],
)
def test_bad_outcomes_are_refused_with_the_field(filed, staff, kwargs, field):
    with pytest.raises((ValidationFailed, MissingRequirement)) as info:
        services.submission_record_outcome(submission=filed, actor=staff["coordinator"], **kwargs)
    assert getattr(info.value, "field", None) == field
    assert Submission.objects.get(pk=filed.pk).state == SubmissionState.FILED


def test_a_decision_document_of_the_wrong_type_is_refused(filed, staff):
    upload = SimpleUploadedFile("x.txt", b"just text, not a document", content_type="text/plain")
    with pytest.raises(services.EvidenceTypeNotAllowed):
        services.submission_record_outcome(
            submission=filed, actor=staff["coordinator"], outcome="upheld", decided_on=timezone.localdate(),
            upload=upload,
        )  # fmt: skip


def test_the_appeal_goes_to_the_next_body_and_closes_the_appeal_clock(filed, staff, bodies):
    services.submission_record_outcome(
        submission=filed, actor=staff["coordinator"], outcome="rejected", decided_on=timezone.localdate()
    )
    appeal = services.submission_appeal(submission=filed, actor=staff["coordinator"])
    assert appeal.authority == bodies["pav"], "the register's next body by default"
    assert appeal.appeal_of == filed
    assert CaseDeadline.objects.get(submission=filed, kind="appeal").state == "met"
    assert CaseDeadline.objects.get(submission=appeal, kind="answer").state == "open"
    assert events_of(filed.complaint)[-2:] == ["case_outcome", "case_appealed"]
    types = set(OutboxMessage.objects.filter(complaint=filed.complaint).values_list("event_type", flat=True))
    assert {EventType.CASE_APPEALED, EventType.CASE_DECIDED} <= types
    with pytest.raises(ValidationFailed):
        services.submission_appeal(submission=filed, actor=staff["coordinator"], authority=bodies["ekib"])


def test_an_open_submission_cannot_be_appealed(filed, staff):
    with pytest.raises(InvalidTransition):
        services.submission_appeal(submission=filed, actor=staff["coordinator"])


def test_reviewers_may_not_and_out_of_scope_does_not_exist(substantiated, staff, bodies, rules, make_user, territory):
    with pytest.raises(NotAllowed):
        services.submission_file(complaint=substantiated, actor=staff["reviewer"], authority=bodies["ekib"])
    with pytest.raises(Complaint.DoesNotExist):
        services.submission_file(complaint=substantiated, actor=staff["coordinator_ala"], authority=bodies["ekib"])
    assert not Submission.objects.exists()
    admin = services.submission_file(complaint=substantiated, actor=staff["admin"], authority=bodies["ekib"])
    with pytest.raises(NotAllowed):
        services.submission_record_outcome(submission=admin, actor=staff["reviewer"], outcome="under_consideration")
    with pytest.raises(NotAllowed):
        services.respondent_add(complaint=substantiated, actor=staff["reviewer"], kind="official", name="X")


def test_a_complaint_not_yet_reviewed_is_not_filed(file_complaint, staff, bodies, rules):
    with pytest.raises(InvalidTransition):
        services.submission_file(complaint=file_complaint(), actor=staff["coordinator"], authority=bodies["ekib"])


def test_a_submission_needs_a_body(substantiated, staff, rules):
    with pytest.raises(MissingRequirement):
        services.submission_file(complaint=substantiated, actor=staff["coordinator"], authority_text="  ")


def test_several_complaints_about_one_incident(substantiated, file_complaint, staff, bodies, rules, territory):
    other = file_complaint()
    elsewhere = file_complaint(polling_station=territory["ps_ala"])
    s = services.submission_file(
        complaint=substantiated, actor=staff["coordinator"], authority=bodies["ekib"], also_covers=[other]
    )
    assert list(s.also_covers.all()) == [other]
    with pytest.raises(ValidationFailed):
        services.submission_file(
            complaint=substantiated, actor=staff["coordinator"], authority=bodies["ekib"], also_covers=[elsewhere]
        )


def test_escalate_creates_the_submission_from_its_free_text(substantiated, staff, bodies, rules):
    complaint = services.complaint_transition(
        complaint=substantiated,
        action="escalate",
        actor=staff["coordinator"],
        authority="Центральная избирательная комиссия Республики Казахстан",
        authority_reference="вх. № 15-1",
    )
    assert complaint.status == Status.ESCALATED
    s = Submission.objects.get(complaint=complaint)
    assert (s.authority, s.registration_number, s.state, s.channel) == (
        bodies["cec"],
        "вх. № 15-1",
        "registered",
        "unknown",
    )
    assert s.answer_due_at is not None
    assert events_of(complaint)[-2:] == ["escalate", "case_submitted"]
    assert list(verify_chains([complaint.pk])) == []


def test_respondent_and_reply_with_file(substantiated, staff):
    r = services.respondent_add(complaint=substantiated, actor=staff["coordinator"], kind="employer", name=" Директор ")
    assert r.name == "Директор"
    png = SimpleUploadedFile("ответ.png", PNG, content_type="image/png")
    reply = services.respondent_reply_add(
        respondent=r, actor=staff["coordinator"], received_on=timezone.localdate(), text="Не было.", upload=png
    )
    assert reply.sha256
    assert reply.content_type == "image/png"
    with pytest.raises(ValidationFailed):
        services.respondent_reply_add(respondent=r, actor=staff["coordinator"], received_on=timezone.localdate())
    with pytest.raises(ValidationFailed):
        services.respondent_add(complaint=substantiated, actor=staff["coordinator"], kind="alien", name="X")
    assert events_of(substantiated)[-2:] == ["respondent_added", "respondent_reply"]


def test_case_writes_do_not_change_the_complaint_version(filed, staff):
    version = Complaint.objects.get(pk=filed.complaint_id).version
    services.submission_record_outcome(submission=filed, actor=staff["coordinator"], outcome="under_consideration")
    assert Complaint.objects.get(pk=filed.complaint_id).version == version


def test_force_state_helper_reaches_escalated(substantiated):
    assert force_state(substantiated, "escalated").status == "escalated"


@pytest.mark.parametrize("year", [1, 674, 1990])
def test_a_submission_dated_before_the_incident_is_refused_naming_the_field(substantiated, staff, bodies, year):
    from datetime import datetime

    from django.utils import timezone as tz

    with pytest.raises(services.ValidationFailed) as refused:
        services.submission_file(
            complaint=substantiated,
            actor=staff["coordinator"],
            authority=bodies["pav"],
            submitted_at=datetime(year, 4, 3, 12, 0, tzinfo=tz.get_default_timezone()),
        )
    assert refused.value.field == "submitted_at"
    assert "check the year" in str(refused.value)


def test_a_reply_dated_before_the_incident_is_refused(substantiated, staff):
    from datetime import date

    respondent = services.respondent_add(complaint=substantiated, actor=staff["coordinator"], kind="employer", name="X")
    with pytest.raises(services.ValidationFailed) as refused:
        services.respondent_reply_add(
            respondent=respondent, actor=staff["coordinator"], received_on=date(674, 1, 1), text="ok"
        )
    assert refused.value.field == "received_on"
