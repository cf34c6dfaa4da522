"""Follow-up for anonymous filers by an email kept only for updates; the links each filer can actually open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import ComplaintContact, ContactKind, OutboxMessage
from complaints.services.channels import contact_find

pytestmark = pytest.mark.django_db

UPDATES = "Observer.Updates@example.kz"


def ask(complaint: Any, reviewer: Any, question: str = "Какой номер был у автобуса?") -> Any:
    complaint = services.complaint_transition(complaint=complaint, action="triage", actor=reviewer)
    complaint = services.complaint_transition(complaint=complaint, action="start_review", actor=reviewer)
    return services.complaint_transition(complaint=complaint, action="request_info", actor=reviewer, comment=question)


def mails_to(mailoutbox: list[Any], address: str) -> list[Any]:
    return [m for m in mailoutbox if address in m.to]


def everything(mail: Any) -> str:
    return mail.subject + mail.body + "".join(str(body) for body, _ in mail.alternatives)


def test_the_anonymous_web_form_keeps_an_updates_email_sealed_as_a_contact(client, election, category, territory):
    response = client.post(
        reverse("web-file"),
        {
            "election": election.pk,
            "category": category.pk,
            "station": "512",
            "occurred_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "description": "Наблюдателей вывели с участка до начала подсчёта.",
            "identity": "anonymous",
            "updates_email": UPDATES,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contact = contact_find(kind=ContactKind.EMAIL, address=UPDATES)
    assert contact is not None
    assert contact.address == UPDATES.lower()
    follow = ComplaintContact.objects.get(contact=contact)
    reporter = follow.complaint.reporter
    assert reporter.is_anonymous
    assert reporter.email == ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM complaints_contactaddress WHERE id = %s", [contact.pk])
        assert "example.kz" not in cursor.fetchone()[0].lower(), "sealed at rest"


def test_a_named_filer_is_not_given_an_updates_contact(client, election, category, territory):
    client.post(
        reverse("web-file"),
        {
            "election": election.pk,
            "category": category.pk,
            "station": "512",
            "occurred_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "description": "Наблюдателей вывели с участка до начала подсчёта.",
            "identity": "named",
            "full_name": "Ерлан",
            "updates_email": UPDATES,
        },
    )
    assert not ComplaintContact.objects.exists(), "a named filer's contact is their identity's"


def test_questions_and_status_changes_reach_the_anonymous_filer_by_email(
    file_complaint, make_user, client, django_capture_on_commit_callbacks, mailoutbox, settings
):
    reviewer = make_user("reviewer")
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(anonymous=True, updates_email=UPDATES, language="en")
    assert not mails_to(mailoutbox, UPDATES.lower()), "the receipt was the web page's, not an email"
    with django_capture_on_commit_callbacks(execute=True):
        ask(complaint, reviewer)
    mails = mails_to(mailoutbox, UPDATES.lower())
    # triage (status change), start_review (status change), request_info (the question).
    assert len(mails) == 3
    question = mails[-1]
    text = everything(question)
    assert "Какой номер был у автобуса?" in text
    assert f"{settings.SITE_URL}/status/" in text
    assert "secret is on your receipt" in text
    assert complaint.code in question.subject
    assert "Triaged" in everything(mails[0])
    rows = OutboxMessage.objects.filter(channel="email", contact__isnull=False)
    assert set(rows.values_list("status", flat=True)) == {"delivered"}
    assert set(rows.values_list("recipient", flat=True)) == {""}, "the address is never written on the row"

    # Staff never see the address.
    client.force_login(make_user("coordinator"))
    page = client.get(reverse("web-complaint", args=[complaint.code])).content.decode().lower()
    assert UPDATES.lower() not in page


def test_the_email_never_carries_the_secret(
    election, category, territory, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        filing = services.complaint_file(
            election=election,
            category=category,
            polling_station=territory["ps_pav"],
            occurred_at=timezone.now() - timedelta(minutes=5),
            description="Наблюдателей вывели с участка до начала подсчёта.",
            updates_email=UPDATES,
        )
        ask(filing.complaint, make_user("reviewer"))
    mails = mails_to(mailoutbox, UPDATES.lower())
    assert mails
    assert all(filing.secret not in everything(m) for m in mails)


def test_a_disabled_contact_is_skipped(file_complaint, make_user, django_capture_on_commit_callbacks, mailoutbox):
    complaint = file_complaint(updates_email=UPDATES)
    contact = contact_find(kind=ContactKind.EMAIL, address=UPDATES)
    contact.is_active = False
    contact.save()
    with django_capture_on_commit_callbacks(execute=True):
        ask(complaint, make_user("reviewer"))
    assert not mails_to(mailoutbox, UPDATES.lower())


def test_the_needs_info_email_of_a_signed_in_filer_links_to_my_complaints(
    file_complaint, make_user, django_capture_on_commit_callbacks, mailoutbox, settings
):
    observer = make_user("observer", email="named.observer@example.kz")
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(reporter_user=observer, language="en")
        ask(complaint, make_user("reviewer"))
    question = [m for m in mails_to(mailoutbox, "named.observer@example.kz") if "автобуса" in m.body]
    assert len(question) == 1
    text = everything(question[0])
    assert f"{settings.SITE_URL}/my/" in text
    assert f"{settings.SITE_URL}/status/" not in text
    assert "secret" not in text.lower(), "they never received one"
    assert "My complaints" in text


def test_a_named_filer_without_an_account_is_sent_to_the_status_page(
    file_complaint, make_user, django_capture_on_commit_callbacks, mailoutbox, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(full_name="Ерлан", email="erlan@example.kz", language="en")
        ask(complaint, make_user("reviewer"))
    question = [m for m in mails_to(mailoutbox, "erlan@example.kz") if "автобуса" in m.body]
    assert f"{settings.SITE_URL}/status/" in question[0].body
    assert "secret is on your receipt" in question[0].body
