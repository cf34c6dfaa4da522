"""Who is told what: recipients, languages, batching, and that identity never leaks."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import OutboxChannel, OutboxMessage, OutboxStatus
from complaints.notifications import delivery
from complaints.notifications.outbox import coordinator_digest_record
from tests.notifications.conftest import due_now

pytestmark = pytest.mark.django_db

NAME = "Айгерим Секретова"
EMAIL = "aigerim.secret@example.kz"
PHONE = "+7 701 555 12 34"
STORY = "Начальник смены Секретов собрал паспорта у всей бригады."


def file_named(file_complaint: Any, **extra: Any) -> Any:
    return file_complaint(full_name=NAME, email=EMAIL, phone=PHONE, language="en", description=STORY, **extra)


def mails_to(mailoutbox: list[Any], address: str) -> list[Any]:
    return [m for m in mailoutbox if address in m.to]


def full_text(mail: Any) -> str:
    html = "".join(str(body) for body, _ in getattr(mail, "alternatives", []))
    headers = json.dumps(mail.extra_headers, ensure_ascii=False)
    return f"{mail.subject}\n{mail.body}\n{html}\n{headers}\n{mail.from_email}"


def walk_through_review(complaint: Any, staff: dict[str, Any]) -> Any:
    """triage -> assign -> review -> ask -> answer -> substantiate -> escalate."""
    coordinator, reviewer = staff["coordinator_pav"], staff["reviewer_pav"]
    complaint = services.complaint_transition(complaint=complaint, action="triage", actor=reviewer)
    complaint = services.complaint_assign(complaint=complaint, assignee=reviewer, actor=coordinator)
    complaint = services.complaint_transition(complaint=complaint, action="start_review", actor=reviewer)
    complaint = services.complaint_transition(
        complaint=complaint, action="request_info", actor=reviewer, comment="Which enterprise was it?"
    )
    complaint = services.complaint_transition(
        complaint=complaint,
        action="provide_info",
        actor=services.ComplainantActor(complaint_id=complaint.pk),
        comment="The coal mine, Секретов is my boss",
    )
    complaint = services.complaint_transition(complaint=complaint, action="substantiate", actor=reviewer)
    return services.complaint_transition(
        complaint=complaint,
        action="escalate",
        actor=coordinator,
        authority="Central Election Commission",
        authority_reference="CEC-2011-17",
    )


def test_filing_writes_receipt_batched_reviewer_alerts_and_webhooks(
    file_complaint, staff, subscribe, receiver, make_user, territory, django_capture_on_commit_callbacks, mailoutbox
):
    in_scope = subscribe()  # an admin's subscription sees everything
    out_of_scope = subscribe(owner=make_user("reviewer", [territory["ala"]]))
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_named(file_complaint)

    rows = OutboxMessage.objects.filter(complaint=complaint)
    receipt = rows.get(channel=OutboxChannel.EMAIL, payload__audience="complainant")
    assert receipt.recipient == EMAIL
    assert receipt.recipient_language == "en"
    assert receipt.status == OutboxStatus.DELIVERED
    alerts = rows.filter(payload__audience="reviewer")
    assert sorted(alerts.values_list("recipient", flat=True)) == sorted(
        [staff["reviewer_pav"].email, staff["reviewer_kk"].email]
    ), "only reviewers whose scope covers the place are alerted"
    assert all(a.status == OutboxStatus.PENDING and a.next_attempt_at > timezone.now() for a in alerts), (
        "reviewer alerts wait for the batching window"
    )
    assert not rows.filter(payload__audience="coordinator").exists()
    hooks = rows.filter(channel=OutboxChannel.WEBHOOK)
    assert list(hooks.values_list("subscription", flat=True)) == [in_scope.pk]
    assert out_of_scope.messages.count() == 0
    assert [m.to for m in mailoutbox] == [[EMAIL]]
    assert receiver.ids() == [hooks.get().idempotency_key]


def test_reviewer_alerts_are_batched_into_one_email_per_reviewer(
    file_complaint, staff, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        codes = [file_complaint().code for _ in range(3)]
    assert mailoutbox == [], "anonymous complainants get no receipt, and alerts wait for the window"

    due_now(payload__audience="reviewer", recipient=staff["reviewer_pav"].email)
    assert delivery.sweep() == 1, "one task per reviewer's batch"
    mine = mails_to(mailoutbox, staff["reviewer_pav"].email)
    assert len(mine) == 1
    assert all(code in mine[0].body for code in codes)
    assert "3" in mine[0].subject
    assert OutboxMessage.objects.filter(recipient=staff["reviewer_pav"].email, status="delivered").count() == 3
    # The other reviewer's alerts are not due yet, and were not swept into that email.
    assert OutboxMessage.objects.filter(recipient=staff["reviewer_kk"].email, status="pending").count() == 3


def test_each_event_reaches_its_audience_and_nobody_else(
    file_complaint, staff, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_named(file_complaint)
        walk_through_review(complaint, staff)
        due_now()
        delivery.sweep()

    templates = {(m.recipient, m.event_type) for m in OutboxMessage.objects.filter(channel="email", status="delivered")}
    reviewer, coordinator = staff["reviewer_pav"].email, staff["coordinator_pav"].email
    assert templates == {
        (EMAIL, "complaint.submitted"),
        (reviewer, "complaint.submitted"),
        (staff["reviewer_kk"].email, "complaint.submitted"),
        (reviewer, "complaint.assigned"),
        (EMAIL, "complaint.needs_info"),
        (reviewer, "complaint.info_provided"),
        (EMAIL, "complaint.decided"),
        (EMAIL, "complaint.escalated"),
    }
    assert not mails_to(mailoutbox, coordinator)
    assert not mails_to(mailoutbox, staff["reviewer_ala"].email)
    question = [m for m in mails_to(mailoutbox, EMAIL) if "Which enterprise was it?" in m.body]
    assert len(question) == 1, "the complainant sees the reviewers' question"


def test_identity_and_story_never_reach_staff_or_webhooks(
    file_complaint, staff, subscribe, receiver, django_capture_on_commit_callbacks, mailoutbox
):
    subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_named(file_complaint)
        walk_through_review(complaint, staff)
        due_now()
        delivery.sweep()
        services.sla_breach_mark(complaint_id=complaint.pk, now=timezone.now() + timedelta(days=30))
        coordinator_digest_record()

    staff_mail = [m for m in mailoutbox if EMAIL not in m.to]
    assert len(staff_mail) >= 4
    for mail in staff_mail:
        text = full_text(mail)
        for secret in (NAME, EMAIL, PHONE, "Секретов", "coal mine"):
            assert secret not in text, f"{secret!r} leaked in {mail.subject!r} to {mail.to}"
        assert complaint.code in text or "digest" in mail.subject.lower()
    for call in receiver.calls:
        for secret in (NAME, EMAIL, PHONE, "Секретов"):
            assert secret not in call["body"]
    assert len(receiver.calls) == OutboxMessage.objects.filter(channel="webhook").count() > 5


def test_anonymous_complainant_gets_nothing_pushed(file_complaint, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(anonymous=True, email="would-be@example.org")
        walk_through_review(complaint, staff)
    assert not OutboxMessage.objects.filter(payload__audience="complainant").exists()
    assert not OutboxMessage.objects.filter(recipient="would-be@example.org").exists()


def test_sla_breach_alerts_coordinators_in_scope(file_complaint, staff, django_capture_on_commit_callbacks, mailoutbox):
    complaint = file_complaint()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_breach_mark(complaint_id=complaint.pk, now=timezone.now() + timedelta(days=30))
    assert [m.to for m in mailoutbox] == [[staff["coordinator_pav"].email]]
    assert complaint.code in mailoutbox[0].subject


def test_email_language_follows_the_recipient(file_complaint, staff, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        file_named(file_complaint)
        due_now()
        delivery.sweep()
    by_recipient = {m.to[0]: m for m in mailoutbox}
    for address, language in [(EMAIL, "en"), (staff["reviewer_kk"].email, "kk"), (staff["reviewer_pav"].email, "ru")]:
        mail = by_recipient[address]
        assert mail.extra_headers["Content-Language"] == language
        assert f'<html lang="{language}">' in mail.alternatives[0][0]
    assert "Pavlodar" not in by_recipient[staff["reviewer_pav"].email].body, "place names in the reader's language"
    assert "Экибастуз" in by_recipient[staff["reviewer_pav"].email].body


def test_daily_digest_once_per_coordinator_per_day(
    file_complaint, staff, django_capture_on_commit_callbacks, mailoutbox
):
    file_complaint()
    with django_capture_on_commit_callbacks(execute=True):
        assert coordinator_digest_record() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert coordinator_digest_record() == 0, "a second run the same day adds nothing"
    digests = {m.to[0]: m for m in mailoutbox}
    assert set(digests) == {staff["coordinator_pav"].email, staff["coordinator_ala"].email}
    pav = digests[staff["coordinator_pav"].email]
    assert "1 open" in pav.subject
    assert "0 open" in digests[staff["coordinator_ala"].email].subject, "counts stay within scope"


def test_links_point_staff_to_the_complaint_and_the_complainant_to_the_status_form(
    file_complaint, staff, django_capture_on_commit_callbacks, mailoutbox, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_named(file_complaint)
        due_now()
        delivery.sweep()
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert f"{settings.SITE_URL}/complaints/{complaint.code}/" in by_recipient[staff["reviewer_pav"].email].body
    receipt = by_recipient[EMAIL].body
    assert f"{settings.SITE_URL}/status/" in receipt
    assert f"/{complaint.code}" not in receipt, "the receipt code never goes into a URL"
