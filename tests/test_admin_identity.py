"""The admin reads identity only with the permission, a purpose and an audit event; lists mask contact data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.masking import mask_email, mask_name, mask_phone
from complaints.models import AuditEvent, OutboxChannel, OutboxMessage

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "Айгуль Кенжебаева", "aigul.kenzhebaeva@example.org", "+7 701 555 44 12"


@pytest.fixture(autouse=True)
def _plain_static(settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def named(file_complaint, make_user):
    return file_complaint(
        reporter_user=make_user("observer", username="aigul_k"), full_name=NAME, email=EMAIL, phone=PHONE
    )


@pytest.fixture
def coordinator_client(client, make_user):
    user = make_user("coordinator", is_staff=True)
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def superuser_client(client, make_user):
    user = make_user("admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def reveals(complaint):
    return AuditEvent.objects.filter(complaint=complaint, action="identity_viewed")


def test_masks():
    assert mask_name(NAME) == "А*** К***"
    assert mask_name("") == ""
    assert mask_phone(PHONE) == "+7 *** ** 12"
    assert mask_phone("87015554412") == "8 *** ** 12"
    assert mask_phone("12") == "***"
    assert mask_email(EMAIL) == "a***@example.org"
    assert mask_email("not-an-email") == "***"


REPORTER_LIST = "admin:complaints_reporter_changelist"


@pytest.mark.parametrize(
    "query",
    [
        {"full_name__icontains": "Айгуль"},
        {"full_name": NAME},
        {"phone": PHONE},
        {"phone__endswith": "12"},
        {"email__istartswith": "aigul"},
        {"user": "1"},
        {"user__username": "aigul_k"},
        {"user__email__icontains": "observer"},
        {"secret_hash__startswith": "a"},
    ],
)
def test_reporters_cannot_be_looked_up_by_identity(superuser_client, named, query):
    response = superuser_client.get(reverse(REPORTER_LIST), query)
    assert response.status_code == 400
    assert named.code.encode() not in response.content
    assert not reveals(named).exists()


def test_the_reporter_search_matches_only_the_receipt_code(superuser_client, named):
    assert named.code.encode() not in superuser_client.get(reverse(REPORTER_LIST), {"q": "Айгуль"}).content
    assert named.code.encode() not in superuser_client.get(reverse(REPORTER_LIST), {"q": "aigul"}).content
    assert named.code.encode() in superuser_client.get(reverse(REPORTER_LIST), {"q": named.code}).content


def test_the_reporter_list_masks_contact_data(coordinator_client, named):
    response = coordinator_client.get(reverse(REPORTER_LIST))
    assert response.status_code == 200
    body = response.content.decode()
    assert named.code in body
    for raw in (NAME, "Кенжебаева", EMAIL, "aigul.kenzhebaeva", PHONE, "555 44", "aigul_k"):
        assert raw not in body, raw
    assert mask_name(NAME) in body
    assert mask_email(EMAIL) in body
    assert mask_phone(PHONE) in body
    assert not reveals(named).exists()


def test_the_reporter_page_asks_for_a_purpose_and_shows_nothing_before(coordinator_client, named):
    url = reverse("admin:complaints_reporter_change", args=[named.pk])
    response = coordinator_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for raw in (NAME, EMAIL, PHONE, "aigul_k"):
        assert raw not in body
    assert 'name="purpose"' in body
    assert 'method="post"' in body
    assert not reveals(named).exists()
    # No purpose in the URL either: a GET with one still reveals nothing.
    assert NAME not in coordinator_client.get(url, {"purpose": "checking"}).content.decode()
    assert not reveals(named).exists()


def test_revealing_in_the_admin_needs_a_purpose_and_is_audited(coordinator_client, named):
    url = reverse("admin:complaints_reporter_change", args=[named.pk])
    response = coordinator_client.post(url, {"purpose": ""})
    assert response.status_code == 400
    assert NAME not in response.content.decode()
    assert not reveals(named).exists()
    response = coordinator_client.post(url, {"purpose": "Calling the witness back about the station"})
    assert response.status_code == 200
    body = response.content.decode()
    assert NAME in body
    assert EMAIL in body
    assert PHONE in body
    assert "aigul_k" in body
    event = reveals(named).get()
    assert event.payload["purpose"] == "Calling the witness back about the station"
    assert response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_the_reveal_form_is_protected_by_csrf(make_user, named):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user("coordinator", is_staff=True))
    url = reverse("admin:complaints_reporter_change", args=[named.pk])
    assert client.post(url, {"purpose": "from another site"}).status_code == 403
    assert not reveals(named).exists()


def test_staff_without_the_identity_permission_cannot_open_reporters(client, make_user, named):
    client.force_login(make_user("reviewer", is_staff=True))
    assert client.get(reverse(REPORTER_LIST)).status_code == 403
    url = reverse("admin:complaints_reporter_change", args=[named.pk])
    assert client.get(url).status_code in (302, 403, 404)
    assert client.post(url, {"purpose": "curious"}).status_code in (302, 403, 404)
    assert not reveals(named).exists()


OUTBOX_LIST = "admin:complaints_outboxmessage_changelist"


def test_the_outbox_list_masks_recipients(superuser_client, named):
    row = OutboxMessage.objects.filter(complaint=named, channel=OutboxChannel.EMAIL, recipient=EMAIL).first()
    assert row is not None  # the complainant's receipt
    body = superuser_client.get(reverse(OUTBOX_LIST)).content.decode()
    assert EMAIL not in body
    assert "aigul.kenzhebaeva" not in body
    assert mask_email(EMAIL) in body
    change = superuser_client.get(reverse("admin:complaints_outboxmessage_change", args=[row.pk])).content.decode()
    assert EMAIL not in change
    assert "aigul.kenzhebaeva" not in change
    assert mask_email(EMAIL) in change


@pytest.mark.parametrize(
    "query",
    [
        {"recipient": EMAIL},
        {"recipient__icontains": "aigul"},
        {"payload__audience": "complainant"},
        {"complaint__reporter__full_name__icontains": "Айгуль"},
    ],
)
def test_the_outbox_cannot_be_looked_up_by_recipient(superuser_client, named, query):
    response = superuser_client.get(reverse(OUTBOX_LIST), query)
    assert response.status_code == 400


def test_the_outbox_search_does_not_match_recipients(superuser_client, named):
    response = superuser_client.get(reverse(OUTBOX_LIST), {"q": "aigul"})
    assert response.status_code == 200
    assert named.code.encode() not in response.content


@pytest.mark.parametrize(
    "admin_url",
    ["admin:complaints_complaint_changelist", "admin:complaints_auditevent_changelist"],
)
def test_other_lists_cannot_be_filtered_by_the_reporter(superuser_client, named, admin_url):
    lookup = "reporter__phone" if "complaint_" in admin_url else "complaint__reporter__phone"
    assert superuser_client.get(reverse(admin_url), {lookup: PHONE}).status_code == 400


def test_the_complainants_account_is_never_named_in_the_complaint_and_audit_admin(superuser_client, named):
    from complaints import services

    services.note_add(complaint=named, actor=named.reporter.user, body="I have a photo too")
    pages = [
        reverse("admin:complaints_complaint_change", args=[named.pk]),
        reverse("admin:complaints_auditevent_changelist"),
        reverse("admin:complaints_auditevent_change", args=[AuditEvent.objects.filter(complaint=named).first().pk]),
    ]
    for url in pages:
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        assert "aigul_k" not in response.content.decode(), url
    assert "the complainant" in superuser_client.get(pages[0]).content.decode()


@pytest.mark.parametrize("query", [{"actor_label": "aigul_k"}, {"actor": "1"}, {"actor__username": "aigul_k"}])
def test_audit_events_cannot_be_looked_up_by_actor(superuser_client, named, query):
    assert superuser_client.get(reverse("admin:complaints_auditevent_changelist"), query).status_code == 400
