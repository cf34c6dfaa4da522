"""Staff 2FA in a real browser: a coordinator sees who filed only after the second factor."""

from __future__ import annotations

from base64 import b32decode
from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.two_factor]

NAME = "Сауле Ахметова"


def phone_code(secret: str, steps_ahead: int = 0) -> str:
    """What the authenticator app shows for the key typed from the page (each code is accepted once)."""
    return f"{totp(b32decode(''.join(secret.split())), drift=steps_ahead):06d}"


def ask_identity(page: Any) -> None:
    form = page.locator("form[action$='/identity/']")
    form.locator("[name=purpose]").fill("Перезвонить заявителю")
    form.locator("button[type=submit]").click()


def test_a_coordinator_sees_the_identity_only_after_the_second_factor(
    browse: Any, people: dict[str, Any], file_complaint: Any
) -> None:
    complaint = file_complaint(full_name=NAME, email="saule@example.org")
    detail = browse.url(f"/complaints/{complaint.code}/")

    # First sign-in: password only. The reveal sends the coordinator to set up the authenticator.
    page = browse.new_page(phone=True)
    browse.login(page, "coordinator")
    page.goto(detail)
    ask_identity(page)
    page.wait_for_url("**/accounts/two-factor/enrol/**")
    assert NAME not in page.content()
    expect(page.locator(".receipt__qr svg")).to_be_visible()
    browse.shot(page, "2fa-enrol")
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#id_code", phone_code(secret))
    page.locator("main button[type=submit]").click()
    expect(page.locator("#backup-codes li")).to_have_count(10)
    browse.shot(page, "2fa-backup-codes")
    page.locator("main a.button").click()
    page.wait_for_url(detail)
    assert NAME not in page.content()
    ask_identity(page)
    expect(page.locator("#identity-h + dl")).to_contain_text(NAME)

    # Another browser, the password again: refused until the code from the phone.
    other = browse.new_page(phone=False)
    browse.login(other, "coordinator")
    other.goto(detail)
    ask_identity(other)
    other.wait_for_url("**/accounts/two-factor/verify/**")
    assert NAME not in other.content()
    # The code of the next 30-second step: the current one was used at enrolment (accepted once).
    other.fill("#id_code", phone_code(secret, steps_ahead=1))
    other.locator("main button[type=submit]").click()
    other.wait_for_url(detail)
    ask_identity(other)
    expect(other.locator("#identity-h + dl")).to_contain_text(NAME)
    browse.shot(other, "2fa-identity-after-verify")
