"""The hotline: a staff operator files for a caller (channel phone), consent and operator recorded, caller sealed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.errors import NotAllowed
from complaints.models import AuditEvent, Channel, Complaint, ComplaintContact, ContactKind
from complaints.services.channels import contact_find
from complaints.services.hotline import CONSENT_WORDING, complaint_file_for_caller

pytestmark = pytest.mark.django_db

CALLER_NAME = "Гульнара Сапарова"
CALLER_PHONE = "+7 701 555 12 34"
SMS_PHONE = "+7 702 444 00 11"


@pytest.fixture
def call(election: Any, category: Any, territory: Any) -> dict[str, Any]:
    """What the operator types while the caller speaks."""
    return {
        "election": election.pk,
        "category": category.pk,
        "station": "512",
        "occurred_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "description": "Наблюдателя не пустили на участок, председатель закрыл дверь.",
        "caller_language": "kk",
        "consent": "on",
    }


def raw_reporter_columns(complaint: Complaint) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name, phone FROM complaints_reporter WHERE complaint_id = %s", [complaint.pk])
        return " ".join(str(v) for v in cursor.fetchone())


def test_an_operator_files_for_a_caller_and_reads_out_the_receipt(client, make_user, call):
    operator = make_user("coordinator", first_name="Асель", last_name="Оператор")
    client.force_login(operator)
    page = client.get(reverse("web-hotline"))
    assert page.status_code == 200
    assert str(CONSENT_WORDING) in page.content.decode(), "the wording to read out is shown"

    response = client.post(
        reverse("web-hotline"),
        {**call, "caller_name": CALLER_NAME, "caller_phone": CALLER_PHONE, "sms_phone": SMS_PHONE},
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.PHONE
    assert complaint.filed_by == operator
    assert complaint.caller_consent_at is not None
    assert complaint.polling_station.number == "512"

    receipt = client.get(response["Location"]).content.decode()
    assert complaint.code in receipt, "the code to read out is shown to the operator"
    again = client.get(response["Location"]).content.decode()
    assert complaint.code not in again, "shown once"

    # The caller is the reporter (not the operator), sealed at rest.
    reporter = complaint.reporter
    assert reporter.user_id is None
    assert not reporter.is_anonymous
    assert (reporter.full_name, reporter.phone, reporter.language) == (CALLER_NAME, CALLER_PHONE, "kk")
    raw = raw_reporter_columns(complaint)
    assert CALLER_NAME not in raw
    assert "555" not in raw

    # The filing event names the operator and the consent, never the caller.
    event = AuditEvent.objects.get(complaint=complaint, action="file")
    assert event.actor == operator
    assert event.payload["channel"] == "phone"
    assert event.payload["on_behalf_of_caller"] is True
    assert CALLER_NAME not in str(event.payload)

    # The SMS phone is a sealed contact following the complaint.
    contact = contact_find(kind=ContactKind.SMS, address=SMS_PHONE)
    assert contact is not None
    assert contact.language == "kk"
    assert ComplaintContact.objects.filter(complaint=complaint, contact=contact).exists()
    assert AuditEvent.objects.filter(complaint=complaint, action="contact_added", payload__channel="sms").exists()


def test_reviewers_see_the_operator_but_not_the_caller(client, make_user, call):
    operator = make_user("coordinator", username="hotline-asel")
    client.force_login(operator)
    client.post(
        reverse("web-hotline"),
        {**call, "caller_name": CALLER_NAME, "caller_phone": CALLER_PHONE, "sms_phone": SMS_PHONE},
    )
    complaint = Complaint.objects.get()
    client.force_login(make_user("reviewer"))
    page = client.get(reverse("web-complaint", args=[complaint.code])).content.decode()
    assert "hotline-asel" in page, "who filed it on the caller's behalf"
    for secret in (CALLER_NAME, "555 12 34", "444 00 11", "702444"):
        assert secret not in page


def test_no_consent_no_complaint(client, make_user, call):
    client.force_login(make_user("coordinator"))
    response = client.post(reverse("web-hotline"), {**call, "consent": ""})
    assert response.status_code == 400
    assert "consent" in response.context["form"].errors
    assert not Complaint.objects.exists()
    with pytest.raises(services.ValidationFailed):
        complaint_file_for_caller(
            operator=make_user("coordinator"),
            consent=False,
            election=response.context["form"].cleaned_data["election"],
            category=response.context["form"].cleaned_data["category"],
            occurred_at=timezone.now(),
            description="Наблюдателя не пустили на участок.",
            place_text="школа",
        )


def test_a_bad_sms_phone_is_refused_beside_its_field(client, make_user, call):
    client.force_login(make_user("coordinator"))
    response = client.post(reverse("web-hotline"), {**call, "sms_phone": "12"})
    assert response.status_code == 400
    assert "sms_phone" in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_an_anonymous_caller_stays_anonymous(client, make_user, call):
    client.force_login(make_user("coordinator"))
    client.post(reverse("web-hotline"), call)
    complaint = Complaint.objects.get()
    assert complaint.reporter.is_anonymous
    assert complaint.reporter.full_name == ""
    assert complaint.reporter.phone == ""
    assert not ComplaintContact.objects.exists()


def test_who_may_take_calls(client, make_user):
    url = reverse("web-hotline")
    assert client.get(url).status_code == 302, "signed out: to the login page"
    for role in ("observer", "reviewer"):
        client.force_login(make_user(role))
        assert client.get(url).status_code == 403, role
    reviewer = make_user("reviewer")
    reviewer.user_permissions.add(Permission.objects.get(codename="take_calls"))
    client.force_login(reviewer)
    assert client.get(url).status_code == 200, "a reviewer given the permission"
    client.force_login(make_user("coordinator"))
    assert client.get(url).status_code == 200
    assert 'href="/hotline/"' in client.get(reverse("web-queue")).content.decode(), "in the staff menu"


def test_the_service_refuses_an_operator_without_the_permission(make_user, election, category):
    with pytest.raises(NotAllowed):
        complaint_file_for_caller(
            operator=make_user("reviewer"),
            consent=True,
            election=election,
            category=category,
            occurred_at=timezone.now(),
            description="Наблюдателя не пустили на участок.",
            place_text="школа",
        )
    assert not Complaint.objects.exists()


@pytest.mark.two_factor
def test_with_second_factor_for_staff_the_hotline_asks_for_it(client, make_user, settings):
    settings.TWO_FACTOR_REQUIRED_FOR = ["identity", "admin", "staff"]
    client.force_login(make_user("coordinator"))
    response = client.get(reverse("web-hotline"))
    assert response.status_code == 302
    assert reverse("web-2fa-verify") in response["Location"] or reverse("web-2fa-enrol") in response["Location"]
