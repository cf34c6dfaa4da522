"""Short staff sessions: a staff login lasts STAFF_SESSION_AGE_SECONDS, optionally ending sooner when idle.

Staff (reviewers, coordinators, admins, Django staff) can reach complaints and, some of
them, the identity of who filed; a stolen or forgotten browser must not stay signed in
for Django's two weeks. Other accounts (observers filing their own complaints) keep
``SESSION_COOKIE_AGE``.

The limit is counted from the login, not from the last request (an absolute expiry, also
written to the session's cookie and database expiry); ``STAFF_SESSION_IDLE_SECONDS`` (0 =
off) also ends a session unused that long. A session that reaches the limit is logged out
on its next request and sent to the login page like any anonymous visitor.

The limit is set by a ``user_logged_in`` receiver (connected when ``complaints.admin`` is
imported at start-up), and by the middleware for a signed-in session that has none yet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from complaints.access import access_for

SESSION_KEY = "_registry_staff_session"  # {"user": pk, "until": epoch seconds, "seen": epoch seconds}
# The idle clock is written at most this often (not a session save on every request).
SEEN_RESOLUTION_SECONDS = 60


def is_staff_account(user: Any) -> bool:
    return bool(user.is_staff or user.is_superuser or access_for(user).staff_roles)


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self._enforce(request)
        response = self.get_response(request)
        self._start(request)
        return response

    @staticmethod
    def _enforce(request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        mark = request.session.get(SESSION_KEY)
        if not mark or mark.get("user") != user.pk or mark.get("until") is None:
            return
        now = timezone.now().timestamp()
        idle = settings.STAFF_SESSION_IDLE_SECONDS
        if now >= mark["until"] or (idle and now - mark.get("seen", now) >= idle):
            logout(request)
            return
        if idle and now - mark.get("seen", now) >= SEEN_RESOLUTION_SECONDS:
            mark["seen"] = now
            request.session[SESSION_KEY] = mark
            request.session.set_expiry(_expiry(mark))

    @staticmethod
    def _start(request: HttpRequest) -> None:
        """After the view: a signed-in session without its limit yet (one older than this rule) gets it.

        Only a session that carries the sign-in: an API request authenticated by its key
        (DRF sets ``request.user`` too) creates no session.
        """
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if session is None or user is None or not user.is_authenticated:
            return
        if session.get(AUTH_SESSION_KEY) != str(user.pk):
            return
        mark = session.get(SESSION_KEY)
        if not mark or mark.get("user") != user.pk:
            start_session(session, user)


def start_session(session: Any, user: Any) -> None:
    """Give a session just signed in as ``user`` its limit (none for non-staff accounts)."""
    if not is_staff_account(user):
        session[SESSION_KEY] = {"user": user.pk, "until": None}
        return
    now = timezone.now().timestamp()
    mark = {"user": user.pk, "until": now + settings.STAFF_SESSION_AGE_SECONDS, "seen": now}
    session[SESSION_KEY] = mark
    session.set_expiry(_expiry(mark))


@receiver(user_logged_in, dispatch_uid="complaints.staff_sessions.on_login")
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # At the login itself (the login page, the admin's, force_login): no extra write later.
    session = getattr(request, "session", None)
    if session is not None:
        start_session(session, user)


def _expiry(mark: dict[str, Any]) -> datetime:
    until = mark["until"]
    idle = settings.STAFF_SESSION_IDLE_SECONDS
    if idle:
        until = min(until, mark["seen"] + idle)
    return datetime.fromtimestamp(until, tz=UTC)
