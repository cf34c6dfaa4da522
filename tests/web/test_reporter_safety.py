"""Reporter safety on the web: nothing on the server or in a URL links an anonymous complaint to a person.

- the receipt's code and secret never reach the server's session store, and wait for the
  receipt page at most RECEIPT_TTL_SECONDS;
- a complaint unlocked with code + secret lives in a browser-session cookie, is forgotten when
  someone signs in or out, and never makes the complainant's pages carry the receipt code;
- "forget this device" clears the session, the cookies and the browser's storage.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, IdempotencyRecord
from tests.images import png_bytes

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-1"
RECEIPT_COOKIE = "receipt"  # complaints/web/privacy.py
UNLOCK_COOKIE = "unlocked"


def _form(election: Any, category: Any, **extra: Any) -> dict[str, Any]:
    return {
        "election": election.pk,
        "category": category.pk,
        "station": "512",
        "polling_station": "",
        "region": "",
        "place_text": "",
        "occurred_at": timezone.localtime(timezone.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"),
        "description": "Директор школы требует от учителей фотографию бюллетеня.",
        "identity": "anonymous",
        "full_name": "",
        "email": "",
        "phone": "",
        **extra,
    }


def _raw_sessions() -> str:
    """Everything the session store holds, decoded: what someone with the database would read."""
    return "\n".join(repr(s.get_decoded()) + s.session_data for s in Session.objects.all())


def _later(monkeypatch: Any, seconds: float) -> None:
    """Move the clock the signed cookies are checked against."""
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + seconds)


@pytest.fixture
def filed(client: Client, election: Any, category: Any, territory: Any) -> Any:
    response = client.post(reverse("web-file"), _form(election, category))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


@pytest.fixture
def anonymous_filing(election: Any, category: Any, territory: Any) -> Any:
    return services.complaint_file(
        election=election,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now() - timedelta(hours=1),
        description="Свидетеля вызвали к директору и запретили ходить на участок.",
    )


def _unlock(client: Client, filing: Any) -> Any:
    response = client.post(reverse("web-status"), {"code": filing.complaint.code, "secret": filing.secret})
    assert response.status_code == 302
    return response


# --- 1. the receipt ----------------------------------------------------------------


def test_the_receipt_never_reaches_the_session_store_and_is_gone_once_shown(client, filed):
    complaint = Complaint.objects.get()
    cookie = filed.cookies[RECEIPT_COOKIE]
    assert cookie["path"] == reverse("web-receipt")  # sent to the receipt page only
    assert int(cookie["max-age"]) == 600
    assert cookie["httponly"]
    assert complaint.code not in _raw_sessions()

    shown = client.get(reverse("web-receipt"))
    secret = shown.context["secret"]
    assert secret
    assert complaint.code in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    # The response that shows it deletes it; the server kept neither code nor secret.
    assert shown.cookies[RECEIPT_COOKIE]["max-age"] == 0
    raw = _raw_sessions()
    assert secret not in raw
    assert complaint.code not in raw
    assert client.get(reverse("web-receipt")).templates[0].name == "complaints/receipt_gone.html"


def test_an_unopened_receipt_expires_after_ten_minutes(client, filed, monkeypatch):
    _later(monkeypatch, 601)
    response = client.get(reverse("web-receipt"))
    assert response.templates[0].name == "complaints/receipt_gone.html"
    assert response.cookies[RECEIPT_COOKIE]["max-age"] == 0
    assert Complaint.objects.get().code not in _raw_sessions()


def test_a_signed_in_user_filing_anonymously_leaves_nothing_in_their_session(
    client, election, category, territory, make_user
):
    client.force_login(make_user("observer", username="obs_anon"))
    client.post(reverse("web-file"), _form(election, category))
    complaint = Complaint.objects.get()
    assert complaint.reporter.user_id is None
    assert complaint.code not in _raw_sessions()  # not even before the receipt page is opened
    shown = client.get(reverse("web-receipt"))
    raw = _raw_sessions()
    assert complaint.code not in raw
    assert shown.context["secret"] not in raw


# --- 2a. no address with the idempotency record -----------------------------------------


def test_an_anonymous_api_filing_stores_no_address_anywhere_in_its_idempotency_record(election, category, territory):
    from rest_framework.test import APIClient

    payload = {
        "election": election.pk,
        "category": category.code,
        "polling_station": territory["ps_pav"].pk,
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "description": "Директор требует сфотографировать бюллетень и прислать ему снимок.",
    }
    response = APIClient().post(
        "/api/v1/complaints/",
        payload,
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-" + "7" * 30,
        REMOTE_ADDR="203.0.113.77",
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )
    assert response.status_code == 201
    record = IdempotencyRecord.objects.get()
    stored = repr([getattr(record, f.attname) for f in IdempotencyRecord._meta.concrete_fields])
    assert "203.0.113.77" not in stored
    assert "198.51.100.77" not in stored
    assert response.data["secret"] not in stored


# --- 2b. signing in or out forgets the unlock ---------------------------------------------


def test_signing_in_after_unlocking_drops_the_unlock_and_ties_nothing_to_the_account(
    client, anonymous_filing, make_user
):
    make_user("observer", username="witness")
    track = _unlock(client, anonymous_filing)["Location"]
    assert client.get(track).status_code == 200

    login = client.post(reverse("login"), {"username": "witness", "password": PASSWORD})
    assert login.status_code == 302
    assert login.cookies[UNLOCK_COOKIE]["max-age"] == 0  # the browser forgets it
    raw = _raw_sessions()
    assert anonymous_filing.complaint.code not in raw
    (session,) = Session.objects.all()
    complaint = anonymous_filing.complaint
    held = {k: v for k, v in session.get_decoded().items() if not k.startswith("_")}  # Django's and staff's own
    assert held == {}, held
    assert complaint.pk not in [v for k, v in session.get_decoded().items() if k != "_auth_user_id"]
    assert client.get(track).status_code == 404


def test_signing_out_drops_the_unlock_and_clears_the_browser_storage(client, anonymous_filing, make_user):
    make_user("observer", username="witness2")
    client.post(reverse("login"), {"username": "witness2", "password": PASSWORD})
    track = _unlock(client, anonymous_filing)["Location"]
    assert client.get(track).status_code == 200
    logout = client.post(reverse("logout"))
    assert logout.cookies[UNLOCK_COOKIE]["max-age"] == 0
    assert logout["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get(track).status_code == 404


def test_an_old_unlock_left_in_a_session_is_removed(client, anonymous_filing):
    session = client.session
    session["web_tracked"] = [anonymous_filing.complaint.pk]
    session["web_receipt"] = {"code": anonymous_filing.complaint.code, "secret": anonymous_filing.secret}
    session.save()
    client.get(reverse("home"))
    raw = _raw_sessions()
    assert anonymous_filing.secret not in raw
    assert "web_tracked" not in raw


# --- 2c. the receipt code never goes into a URL or a log line ----------------------------


def test_an_anonymous_filing_and_follow_up_never_put_the_code_in_a_url_or_a_log(
    client, election, category, territory, reviewer_pav, caplog
):
    caplog.set_level(logging.DEBUG)
    locations: list[str] = []
    pages: list[str] = []

    def remember(response: Any) -> Any:
        if response.has_header("Location"):
            locations.append(response["Location"])
        if response.get("Content-Type", "").startswith("text/html"):
            pages.append(response.content.decode())
        return response

    remember(client.post(reverse("web-file"), _form(election, category)))
    receipt = remember(client.get(reverse("web-receipt")))
    code, secret = receipt.context["code"], receipt.context["secret"]
    assert code not in receipt.context["status_url"]
    complaint = Complaint.objects.get(code=code)
    for action in ("triage", "start_review"):
        complaint = services.complaint_transition(complaint=complaint, action=action, actor=reviewer_pav)
    complaint = services.complaint_transition(
        complaint=complaint, action="request_info", actor=reviewer_pav, comment="Кто ещё это видел?"
    )
    remember(client.get(reverse("web-status")))
    unlocked = remember(client.post(reverse("web-status"), {"code": code.lower(), "secret": secret}))
    track = unlocked["Location"]
    remember(client.get(track))
    answered = remember(
        client.post(track + "answer/", {"version": complaint.version, "comment": "Трое соседей.", "files": []})
    )
    assert answered.status_code == 302
    upload = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    remember(client.post(track + "evidence/", {"files": [upload]}))
    remember(client.get(track))
    remember(client.post(reverse("web-status"), {"code": code, "secret": "wrong"}))

    assert locations
    assert all(code not in loc and code.lower() not in loc for loc in locations)
    links = [
        value
        for html in pages
        for value in re.findall(r'(?:href|action|src)="([^"]*)"', html)
        if "/set_language" not in value and "i18n" not in value
    ]
    assert links
    assert [link for link in links if code in link] == []
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if code in m or code.lower() in m or secret in m]
    assert client.get(f"/status/{code}/").status_code == 404  # the old address is not a page any more


def test_every_complainant_url_pattern_takes_a_handle_not_a_code():
    from complaints.web.urls import urlpatterns

    complainant = [p for p in urlpatterns if str(p.pattern).startswith("status/")]
    assert complainant
    for pattern in complainant:
        assert "<str:code>" not in str(pattern.pattern)


# --- 3. a shared phone ---------------------------------------------------------------


def test_an_unlock_lasts_for_the_browser_session_only(client, anonymous_filing, monkeypatch):
    response = _unlock(client, anonymous_filing)
    cookie = response.cookies[UNLOCK_COOKIE]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert cookie["httponly"]
    assert cookie["path"] == "/status/"
    assert not Session.objects.exists()  # nothing about it on the server
    track = response["Location"]
    assert client.get(track).status_code == 200
    _later(monkeypatch, 12 * 3600 + 1)  # a browser that restores its session cookies
    assert client.get(track).status_code == 404


def test_staff_sessions_keep_their_own_length(client, make_user, anonymous_filing):
    make_user("reviewer", username="rev_len")
    _unlock(client, anonymous_filing)
    login = client.post(reverse("login"), {"username": "rev_len", "password": PASSWORD})
    session_cookie = login.cookies["sessionid"]
    assert session_cookie["max-age"] != ""  # not turned into a browser-session login


def test_forget_this_device_flushes_the_session_and_asks_the_browser_to_clear_everything(
    client, anonymous_filing, make_user
):
    make_user("observer", username="shared_phone")
    client.post(reverse("login"), {"username": "shared_phone", "password": PASSWORD})
    _unlock(client, anonymous_filing)
    home = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("web-device-forget")}"' in home  # the control is in the footer

    assert client.get(reverse("web-device-forget")).status_code == 405
    response = client.post(reverse("web-device-forget"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "no-store" in response["Cache-Control"]
    assert response.cookies[UNLOCK_COOKIE]["max-age"] == 0
    assert response.cookies[RECEIPT_COOKIE]["max-age"] == 0
    assert not Session.objects.exists()
    assert "data-device-forgotten" in response.content.decode()  # the script's fallback runs there
    assert not client.get(reverse("web-my")).wsgi_request.user.is_authenticated


def test_the_draft_script_never_keeps_identity_fields():
    from django.contrib.staticfiles import finders

    script = open(finders.find("complaints/app.js"), encoding="utf-8").read()  # noqa: SIM115
    assert re.search(r'IDENTITY_FIELDS = \[[^\]]*"full_name"[^\]]*"email"[^\]]*"phone"', script)
    assert "localStorage.clear()" in script
    assert "sessionStorage.clear()" in script
    assert "indexedDB.deleteDatabase" in script
