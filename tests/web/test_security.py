"""Escaping, CSP, CSRF, login throttling and the language switch."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_user_content_is_escaped_on_every_page_that_shows_it(client, coordinator, election, category, territory):
    filing = services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        place_text=XSS,
        occurred_at=timezone.now(),
        description=f"Описание {XSS}",
    )
    code = filing.complaint.code
    services.note_add(complaint=filing.complaint, actor=coordinator, body=XSS, visibility="complainant")
    unlocked = client.post(reverse("web-status"), {"code": code, "secret": filing.secret})
    staff = Client()
    staff.force_login(coordinator)
    pages = [
        client.get(unlocked["Location"]),
        staff.get(reverse("web-complaint", args=[code])),
        staff.get(reverse("web-queue")),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in html
        assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in pages[0].content.decode()


def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get(reverse("web-file"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    html = response.content.decode()
    assert "<script>" not in html
    assert " style=" not in html
    assert " onclick=" not in html


def test_posts_need_the_csrf_token(election, category, territory):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("web-file"), {"description": "x"}).status_code == 403
    assert strict.post(reverse("web-status"), {"code": "x", "secret": "y"}).status_code == 403


def test_language_switch(client):
    response = client.post(reverse("set_language"), {"language": "kk", "next": reverse("web-file")})
    assert response.status_code == 302
    assert response["Location"] == reverse("web-file")
    page = client.get(reverse("web-file"))
    html = page.content.decode()
    assert '<html lang="kk">' in html
    assert "Шағым беру" in html  # "File a complaint"
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    assert "Подать жалобу" in client.get(reverse("web-file")).content.decode()


def test_russian_is_the_default(client, settings):
    settings.LANGUAGE_CODE = "ru"
    html = client.get("/").content.decode()
    assert '<html lang="ru">' in html
    assert "Подать жалобу" in html


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_throttling_locks_one_account_on_one_device_for_a_while_only(settings, make_user):
    settings.AXES_ENABLED = True
    make_user("reviewer", username="target", password="right-pass-1")
    make_user("reviewer", username="bystander", password="right-pass-2")
    client = Client(REMOTE_ADDR="10.0.0.7")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "target", "wrong").status_code == 200
    assert _login(client, "target", "wrong").status_code == 429  # the 5th failure locks
    locked = _login(client, "target", "right-pass-1")  # even the right password, for now
    assert locked.status_code == 429
    assert "Too many attempts" in locked.content.decode()
    # Another account from the same device, and the same account from another device, still work.
    assert _login(Client(REMOTE_ADDR="10.0.0.7"), "bystander", "right-pass-2").status_code == 302
    assert _login(Client(REMOTE_ADDR="10.0.0.8"), "target", "right-pass-1").status_code == 302
    # The lock lifts by itself after the cool-off.
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert _login(client, "target", "right-pass-1").status_code == 302


def test_session_and_csrf_cookies_are_secure_in_the_full_stack(settings, make_user):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    make_user("observer", username="sec", password="right-pass-3")
    client = Client()
    client.get(reverse("login"))
    response = _login(client, "sec", "right-pass-3")
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True


def test_error_pages_use_the_site_layout(client, observer):
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode()
    client.force_login(observer)
    denied = client.get(reverse("web-queue"))
    assert denied.status_code == 403
    assert "Not allowed" in denied.content.decode()
