"""What a filer's browser holds, and for how long: the one-time receipt, unlocked complaints, page handles.

Nothing here is kept on the server side of an anonymous filer:

- the just-filed receipt (code and secret) travels in a signed cookie limited to the receipt
  page, valid for ``RECEIPT_TTL_SECONDS`` and deleted by the response that shows it;
- a complaint unlocked with code + secret is remembered in a signed browser-session cookie
  (no expiry: it ends when the browser closes, and is refused after ``UNLOCK_MAX_AGE_HOURS``
  even if a browser restores it); it is dropped when someone signs in or out on the browser;
- the complainant's pages are addressed by a random handle (``ref``), never by the receipt
  code, so the code never reaches a URL, an access log or a Referer;
- files attached to a filing form sent back with an error are held on the server for
  ``HELD_UPLOAD_TTL_MINUTES`` (``services.held``), usable only by the browser holding the
  random value in the ``held`` cookie, and deleted with it when the device is forgotten.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

RECEIPT_COOKIE = "receipt"
RECEIPT_PATH = "/file/receipt/"
UNLOCK_COOKIE = "unlocked"
UNLOCK_PATH = "/status/"
HELD_COOKIE = "held"
HELD_PATH = "/"  # read by the filing form and by "forget this device"
OWN_REFS_KEY = "web_own_refs"  # handles of a signed-in filer's own named complaints (session)
MAX_UNLOCKED = 20
MAX_OWN_REFS = 200
_RECEIPT_SALT = "complaints.web.receipt"
_UNLOCK_SALT = "complaints.web.unlocked"
# Earlier versions kept these in the session: removed wherever they are still found.
LEGACY_SESSION_KEYS = ("web_receipt", "web_tracked")


def new_ref() -> str:
    return secrets.token_urlsafe(9)


def _cookie_flags() -> dict[str, Any]:
    return {"secure": settings.SESSION_COOKIE_SECURE, "httponly": True, "samesite": "Lax"}


# --- the one-time receipt ----------------------------------------------------------


def receipt_keep(response: HttpResponse, *, code: str, secret: str, path: str = RECEIPT_PATH) -> None:
    """Hand the receipt to the next request of the receipt page (at ``path``) only, for a few minutes."""
    response.set_signed_cookie(
        RECEIPT_COOKIE,
        json.dumps({"code": code, "secret": secret}),
        salt=_RECEIPT_SALT,
        max_age=settings.RECEIPT_TTL_SECONDS,
        path=path,
        **_cookie_flags(),
    )


def receipt_take(
    request: HttpRequest,
    response_factory: Callable[[dict[str, str] | None], HttpResponse],
    path: str = RECEIPT_PATH,
) -> HttpResponse:
    """The receipt if it is there and fresh; the response that shows it deletes it."""
    data: dict[str, str] | None = None
    raw = request.get_signed_cookie(
        RECEIPT_COOKIE, default=None, salt=_RECEIPT_SALT, max_age=settings.RECEIPT_TTL_SECONDS
    )
    if raw:
        try:
            loaded = json.loads(raw)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict) and isinstance(loaded.get("code"), str):
            data = {"code": loaded["code"], "secret": str(loaded.get("secret") or "")}
    response = response_factory(data)
    if RECEIPT_COOKIE in request.COOKIES:
        response.delete_cookie(RECEIPT_COOKIE, path=path, samesite="Lax")
    return response


# --- complaints unlocked with code + secret ----------------------------------------


def unlocked(request: HttpRequest) -> dict[str, tuple[int, str]]:
    """Handle -> (complaint id, code) of the complaints this browser unlocked, if still valid."""
    raw = request.get_signed_cookie(
        UNLOCK_COOKIE, default=None, salt=_UNLOCK_SALT, max_age=settings.UNLOCK_MAX_AGE_HOURS * 3600
    )
    if not raw:
        return {}
    try:
        loaded = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    result: dict[str, tuple[int, str]] = {}
    for ref, value in loaded.items():
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str):
            result[str(ref)] = (value[0], value[1])
    return result


def unlock_add(request: HttpRequest, response: HttpResponse, *, ref: str, pk: int, code: str) -> None:
    """Remember an unlocked complaint in a browser-session cookie (no Max-Age: gone when the browser closes)."""
    kept = [(r, v) for r, v in unlocked(request).items() if v[0] != pk][-(MAX_UNLOCKED - 1) :]
    value = {r: list(v) for r, v in kept}
    value[ref] = [pk, code]
    response.set_signed_cookie(UNLOCK_COOKIE, json.dumps(value), salt=_UNLOCK_SALT, path=UNLOCK_PATH, **_cookie_flags())


def unlock_ref(request: HttpRequest, pk: int) -> str | None:
    return next((ref for ref, value in unlocked(request).items() if value[0] == pk), None)


def forget_browser_state(response: HttpResponse) -> None:
    """Delete the receipt, unlock and held-upload cookies (the session is the caller's to flush)."""
    response.delete_cookie(RECEIPT_COOKIE, path=RECEIPT_PATH, samesite="Lax")
    response.delete_cookie(UNLOCK_COOKIE, path=UNLOCK_PATH, samesite="Lax")
    response.delete_cookie(HELD_COOKIE, path=HELD_PATH, samesite="Lax")


# --- files held for a filing form sent back with an error --------------------------


def held_holder(request: HttpRequest) -> str | None:
    """This browser's random holder value for held uploads, if it has one."""
    value = request.COOKIES.get(HELD_COOKIE, "")
    return value if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() else None


def held_holder_keep(response: HttpResponse, holder: str) -> None:
    """Give the browser its holder value for as long as its uploads are held."""
    response.set_cookie(
        HELD_COOKIE, holder, max_age=settings.HELD_UPLOAD_TTL_MINUTES * 60, path=HELD_PATH, **_cookie_flags()
    )


def held_holder_drop(response: HttpResponse) -> None:
    response.delete_cookie(HELD_COOKIE, path=HELD_PATH, samesite="Lax")


# --- a signed-in filer's own complaints ----------------------------------------------


def own_ref(request: HttpRequest, code: str) -> str:
    """The handle of a signed-in filer's own complaint, kept in their session (which their account owns)."""
    refs: dict[str, str] = dict(request.session.get(OWN_REFS_KEY, {}))
    for ref, known in refs.items():
        if known == code:
            return ref
    ref = new_ref()
    items = list(refs.items())[-(MAX_OWN_REFS - 1) :]
    request.session[OWN_REFS_KEY] = {**dict(items), ref: code}
    return ref


def own_code(request: HttpRequest, ref: str) -> str | None:
    if not request.user.is_authenticated:
        return None
    return dict(request.session.get(OWN_REFS_KEY, {})).get(ref)


# --- sign-in and sign-out ---------------------------------------------------------


class ComplainantPrivacyMiddleware:
    """When someone signs in or out, the browser forgets the anonymous complaints it unlocked.

    Django's login keeps the session's data under a new key, so an unlock made before signing
    in would otherwise be tied to the account. Signing out also clears the browser's storage
    (the filing draft) with ``Clear-Site-Data``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        before = None
        if session is not None and settings.SESSION_COOKIE_NAME in request.COOKIES:  # else: nothing to read
            accessed = session.accessed  # reading here must not add "Vary: Cookie" to every page
            for key in LEGACY_SESSION_KEYS:
                if key in session:
                    del session[key]
            before = session.get(SESSION_KEY)
            session.accessed = accessed
        response = self.get_response(request)
        session = getattr(request, "session", None)
        after = before
        if session is not None and hasattr(session, "_session_cache"):  # loaded: a sign-in or out may have run
            accessed = session.accessed
            after = session.get(SESSION_KEY)
            session.accessed = accessed
        if before != after:
            if UNLOCK_COOKIE in request.COOKIES:
                response.delete_cookie(UNLOCK_COOKIE, path=UNLOCK_PATH, samesite="Lax")
            if before is not None and after is None and not response.has_header("Clear-Site-Data"):  # signed out
                response["Clear-Site-Data"] = '"cache", "storage"'
        return response
