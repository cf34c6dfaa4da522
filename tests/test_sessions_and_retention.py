"""Staff sessions are short (configurable), and the login-throttling logs are not kept for ever."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings as django_settings
from django.utils import timezone

from complaints.tasks import housekeeping

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-1"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client.session


def test_the_default_staff_session_is_eight_hours():
    assert django_settings.STAFF_SESSION_AGE_SECONDS == 8 * 3600
    assert django_settings.STAFF_SESSION_IDLE_SECONDS == 0
    assert django_settings.AXES_LOG_RETENTION_DAYS == 30


@pytest.mark.parametrize("role", ["reviewer", "coordinator", "admin"])
def test_a_staff_login_lasts_the_staff_session_age(client, make_user, settings, role):
    settings.STAFF_SESSION_AGE_SECONDS = 3600
    session = sign_in(client, make_user(role))
    assert 3500 <= session.get_expiry_age() <= 3600
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] <= 3600


def test_a_complainant_login_keeps_the_default_session_age(client, make_user, settings):
    settings.STAFF_SESSION_AGE_SECONDS = 3600
    session = sign_in(client, make_user("observer"))
    assert session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_a_staff_session_ends_after_its_age_however_busy(client, make_user, settings):
    settings.STAFF_SESSION_AGE_SECONDS = 3600
    user = make_user("reviewer")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, user)
    for minutes in (20, 40, 59):  # in use all along: the limit is from the login, not the last request
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/queue/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        response = client.get("/queue/")
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        assert "_auth_user_id" not in client.session


def test_the_optional_idle_timeout_ends_an_unused_staff_session(client, make_user, settings):
    settings.STAFF_SESSION_AGE_SECONDS = 8 * 3600
    settings.STAFF_SESSION_IDLE_SECONDS = 15 * 60
    user = make_user("coordinator")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, user)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert client.get("/queue/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=20), tick=False):  # 10 minutes idle: still in
        assert client.get("/queue/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=40), tick=False):  # 20 minutes idle: out
        assert client.get("/queue/").status_code == 302


def test_a_session_from_before_the_limit_existed_is_limited_too(client, make_user, settings):
    """A staff session created without going through the login view (or before an upgrade)."""
    settings.STAFF_SESSION_AGE_SECONDS = 3600
    client.force_login(make_user("reviewer"))
    assert client.get("/queue/").status_code == 200
    assert client.session.get_expiry_age() <= 3600


def _axes_rows(when, n):
    with time_machine.travel(when, tick=False):
        common = {"user_agent": "Mozilla/5.0 canary", "ip_address": "203.0.113.9", "username": f"u{n}"}
        common.update(http_accept="*/*", path_info="/accounts/login/")
        AccessAttempt.objects.create(**common, get_data="", post_data="", failures_since_start=1)
        AccessLog.objects.create(**common)
        AccessFailureLog.objects.create(**common)


def test_login_throttling_logs_older_than_the_retention_are_purged(settings):
    settings.AXES_LOG_RETENTION_DAYS = 30
    now = timezone.now()
    _axes_rows(now - timedelta(days=31), 1)
    _axes_rows(now - timedelta(days=29), 2)
    result = housekeeping.delay().get()
    assert result["axes_access_attempts"] == 1
    assert result["axes_access_logs"] == 1
    assert result["axes_access_failure_logs"] == 1
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        assert list(model.objects.values_list("username", flat=True)) == ["u2"]
    assert housekeeping.delay().get()["axes_access_logs"] == 0


def test_housekeeping_runs_daily_in_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["housekeeping"]
    assert entry["task"] == "complaints.tasks.housekeeping"


def test_an_api_key_request_creates_no_session(make_user):
    from django.contrib.sessions.models import Session
    from rest_framework.test import APIClient

    from complaints.models import ApiKey

    _, key = ApiKey.objects.create_key(name="k", user=make_user("reviewer"))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = client.get("/api/v1/webhooks/")
    assert response.status_code == 200
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()
