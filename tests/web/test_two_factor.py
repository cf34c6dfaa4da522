"""Staff two-factor authentication: enrol, verify, backup codes, throttling, and what it guards."""

from __future__ import annotations

import logging
import time
from base64 import b32encode
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.models import ApiKey

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]

NAME = "Сауле Ахметова"


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the phone shows now (or ``steps_ahead`` periods later: each code is accepted once)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def confirmed_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def backup_codes(user: Any, *codes: str) -> None:
    device = StaticDevice.objects.create(user=user, name="backup codes")
    for code in codes:
        StaticToken.objects.create(device=device, token=code)


def reveal(client: Client, complaint: Any) -> Any:
    return client.post(reverse("web-complaint-identity", args=[complaint.code]), {"purpose": "call back"})


@pytest.fixture
def complaint(file_complaint: Any) -> Any:
    return file_complaint(full_name=NAME, email="saule@example.org")


def test_the_default_covers_identity_and_the_admin_not_reviewers(settings):
    assert settings.TWO_FACTOR_REQUIRED_FOR == ["identity", "admin"]
    assert settings.MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") > settings.MIDDLEWARE.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )


def test_enrol_shows_the_qr_and_secret_confirms_a_code_then_shows_ten_backup_codes_once(client, coordinator, complaint):
    client.force_login(coordinator)
    page = client.get(reverse("web-2fa-enrol"))
    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=coordinator)
    assert not device.confirmed
    assert "<svg" in html
    assert "<script" not in html.split("<main", 1)[-1]  # no inline script (CSP)
    secret = b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    assert client.get(reverse("web-2fa-enrol")).context["secret"] == page.context["secret"]  # same device on reload

    wrong = client.post(reverse("web-2fa-enrol"), {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    device.throttle_reset()
    done = client.post(reverse("web-2fa-enrol"), {"code": code_for(device)})
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    codes = done.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    assert all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=coordinator).count() == 10
    # The codes are shown once: the enrol page now sends to the account page, which shows only a count.
    assert client.get(reverse("web-2fa-enrol"))["Location"] == reverse("web-2fa")
    account = client.get(reverse("web-2fa")).content.decode()
    assert codes[0] not in account
    # And the enrolment verified this session.
    assert NAME in reveal(client, complaint).content.decode()


def test_identity_is_refused_until_the_second_factor_then_shown(client, coordinator, complaint):
    device = confirmed_device(coordinator)
    client.force_login(coordinator)
    detail = client.get(reverse("web-complaint", args=[complaint.code])).content.decode()
    assert "Show identity" in detail  # offered: sending it asks for the second factor

    refused = reveal(client, complaint)
    assert refused.status_code == 302
    target = reverse("web-complaint", args=[complaint.code])
    assert refused["Location"] == f"{reverse('web-2fa-verify')}?next={target.replace('/', '%2F')}"
    assert NAME not in client.get(refused["Location"]).content.decode()

    verified = client.post(reverse("web-2fa-verify"), {"code": code_for(device), "next": target})
    assert verified.status_code == 302
    assert verified["Location"] == target
    shown = reveal(client, complaint)
    assert shown.status_code == 200
    assert NAME in shown.content.decode()


def test_without_a_device_the_reveal_sends_to_enrol(client, coordinator, complaint):
    client.force_login(coordinator)
    response = reveal(client, complaint)
    assert response["Location"].startswith(reverse("web-2fa-enrol") + "?next=")


def test_a_password_alone_cannot_enrol_a_second_authenticator(client, coordinator):
    confirmed_device(coordinator)
    client.force_login(coordinator)
    response = client.get(reverse("web-2fa-enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web-2fa-verify"))
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1


def test_a_backup_code_works_once(client, coordinator, complaint):
    confirmed_device(coordinator)
    backup_codes(coordinator, "abcd2345", "efgh6789")
    client.force_login(coordinator)
    assert client.post(reverse("web-2fa-verify"), {"code": "ABCD 2345"}).status_code == 302
    assert NAME in reveal(client, complaint).content.decode()
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["efgh6789"]

    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(coordinator)
    again = other.post(reverse("web-2fa-verify"), {"code": "abcd2345"})
    assert again.status_code == 400
    assert "That code is not right" in again.content.decode()
    assert reveal(other, complaint).status_code == 302


def test_wrong_codes_are_throttled_even_when_the_next_one_is_right(client, coordinator):
    device = confirmed_device(coordinator)
    client.force_login(coordinator)
    right = code_for(device)
    wrong = "000000" if right != "000000" else "111111"
    assert client.post(reverse("web-2fa-verify"), {"code": wrong}).status_code == 400
    throttled = client.post(reverse("web-2fa-verify"), {"code": right})
    assert throttled.status_code == 400
    assert "Too many wrong codes: try again in 1 s." in throttled.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Each failure doubles the wait; once it has passed the right code works again.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=5))
    assert client.post(reverse("web-2fa-verify"), {"code": right})["Location"] == reverse("web-2fa")


def test_the_api_refuses_a_session_without_the_second_factor_not_an_api_key(client, coordinator, complaint):
    url = f"/api/v1/complaints/{complaint.code}/reporter/"
    device = confirmed_device(coordinator)
    client.force_login(coordinator)
    refused = client.post(url, {"purpose": "call back"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "second_factor_required"
    client.post(reverse("web-2fa-verify"), {"code": code_for(device)})
    assert client.post(url, {"purpose": "call back"}, content_type="application/json").json()["full_name"] == NAME

    _, key = ApiKey.objects.create_key(name="machine", user=coordinator)
    machine = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert machine.post(url, {"purpose": "sync"}, content_type="application/json").status_code == 200


def test_the_admin_is_refused_until_the_second_factor(client, make_user, verified):
    admin = make_user(is_staff=True, is_superuser=True, username="root")
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web-2fa-enrol')}?next=%2Fadmin%2F"
    assert client.get("/admin/complaints/reporter/").status_code == 302

    verified(client, admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/complaints/reporter/").status_code == 200


def test_the_admin_login_page_itself_stays_reachable(client, make_user):
    make_user(is_staff=True, is_superuser=True, username="root")
    assert client.get("/admin/login/").status_code == 200
    assert client.post("/admin/login/", {"username": "root", "password": "pass-for-tests-1"}).status_code == 302
    assert client.get("/admin/")["Location"].startswith(reverse("web-2fa-enrol"))


def test_reviewers_need_it_only_when_the_setting_says_so(client, reviewer_pav, settings, verified):
    client.force_login(reviewer_pav)
    assert client.get(reverse("web-queue")).status_code == 200
    assert client.get("/api/v1/complaints/").status_code == 200

    settings.TWO_FACTOR_REQUIRED_FOR = [*settings.TWO_FACTOR_REQUIRED_FOR, "staff"]
    response = client.get(reverse("web-queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web-2fa-enrol"))
    api = client.get("/api/v1/complaints/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "second_factor_required"
    assert client.get(reverse("web-2fa-enrol")).status_code == 200  # no redirect loop
    posted = client.post(reverse("web-queue-assign"), {})
    assert posted["Location"] == f"{reverse('web-2fa-enrol')}?next=%2F"  # a form post is not replayed as a GET

    verified(client, reviewer_pav)
    assert client.get(reverse("web-queue")).status_code == 200


def test_the_account_page_regenerates_backup_codes_only_when_verified(client, coordinator, verified):
    confirmed_device(coordinator)
    backup_codes(coordinator, "oldcode1")
    client.force_login(coordinator)
    page = client.get(reverse("web-2fa")).content.decode()
    assert "Backup codes left" in page
    assert "Regenerate backup codes" not in page
    refused = client.post(reverse("web-2fa-backup-codes"))
    assert refused["Location"].startswith(reverse("web-2fa-verify"))
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["oldcode1"]

    verified(client, coordinator)
    assert "Regenerate backup codes" in client.get(reverse("web-2fa")).content.decode()
    fresh = client.post(reverse("web-2fa-backup-codes"))
    assert fresh.status_code == 200
    assert len(fresh.context["codes"]) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(fresh.context["codes"])


def test_reset_two_factor_removes_the_devices_and_logs_it(client, coordinator, complaint, verified, caplog):
    verified(client, coordinator)
    backup_codes(coordinator, "abcd2345")
    assert reveal(client, complaint).status_code == 200
    with caplog.at_level(logging.WARNING, logger="complaints.security"):
        call_command("reset_two_factor", "coord", "--by", "helpdesk")
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    assert not StaticDevice.objects.filter(user=coordinator).exists()
    assert "two-factor reset for user coord" in caplog.text
    assert "by helpdesk" in caplog.text
    # The session that was verified with the removed device is not any more: enrol again.
    assert reveal(client, complaint)["Location"].startswith(reverse("web-2fa-enrol"))


def test_reset_two_factor_names_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user “ghost”"):
        call_command("reset_two_factor", "ghost")
