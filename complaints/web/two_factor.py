"""Staff two-factor authentication: enrol a TOTP app, verify a session, backup codes (django-otp).

Who must pass the second factor, and for what, is ``access.two_factor_required`` and
``access.second_factor_ok`` (settings.TWO_FACTOR_REQUIRED_FOR). Identity reveals check it in
``can_view_identity``; ``SecondFactorMiddleware`` keeps the admin (and, with
TWO_FACTOR_REVIEWERS, every staff page) closed to a session that has not passed it. Wrong
codes are throttled by django-otp per device: each failure doubles the wait before the next
try (OTP_TOTP_THROTTLE_FACTOR, OTP_STATIC_THROTTLE_FACTOR). Recovery: ``reset_two_factor``.
"""

from __future__ import annotations

import logging
import math
from base64 import b32encode
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import django_otp
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints.access import access_for, second_factor_ok, two_factor_required
from complaints.documents import qr_svg
from complaints.middleware import is_api, refusal

log = logging.getLogger(__name__)

TOTP_NAME = "authenticator"
BACKUP_NAME = "backup codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        help_text=gettext_lazy("The 6 digits your authenticator app shows, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def token(self) -> str:
        return "".join(self.cleaned_data["code"].split()).lower()


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    # A path only: redirect() reads anything without a slash ("537") as a view name (NoReverseMatch, a 500).
    return target if target.startswith("/") and safe else reverse("web-2fa")


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


def _totp_device(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def second_factor_url(user: Any, target: str) -> str:
    """Where to go for the second factor: verify if the account has a device, else enrol."""
    has_device = django_otp.user_has_device(user)
    return _with_next("web-2fa-verify" if has_device else "web-2fa-enrol", target)


def ask_second_factor(request: HttpRequest, target: str | None = None) -> HttpResponse:
    """Send the user to verify (or enrol), to come back to ``target`` (this page if not given)."""
    return redirect(second_factor_url(request.user, target or request.get_full_path()))


# --- the gate ----------------------------------------------------------------


def _exempt_prefixes() -> tuple[str, ...]:
    return (
        reverse("web-2fa"),
        reverse("login"),
        reverse("logout"),
        reverse("admin:logout"),
        "/i18n/",
        "/healthz",
        "/readyz",
        "/favicon.ico",
        settings.STATIC_URL or "/static/",
    )


class SecondFactorMiddleware:
    """The admin, and with the "staff" tier every page a staff member uses, only after the second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self._gated(request, user):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _gated(request: HttpRequest, user: Any) -> bool:
        path = request.path
        if path.startswith(_exempt_prefixes()):
            return False
        staff_tier = "staff" in settings.TWO_FACTOR_REQUIRED_FOR and bool(access_for(user).staff_roles)
        if path.startswith(reverse("admin:index")) or staff_tier:
            return not second_factor_ok(user)
        return False

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponseBase:
        if is_api(request):
            message = _("Confirm your second factor first: open %(url)s in the browser, then try again.") % {
                "url": reverse("web-2fa-verify")
            }
            return refusal(request, status=403, code="second_factor_required", message=message)
        # Back to the page after verifying; a refused form post cannot be replayed as a GET.
        return ask_second_factor(request, None if request.method in ("GET", "HEAD") else "/")


# --- enrol -------------------------------------------------------------------


def _secret_groups(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _qr(device: TOTPDevice) -> str:
    # segno draws the SVG from the provisioning URI (our own data, escaped by segno): no script.
    svg = qr_svg(device.config_url, title=_("QR code for your authenticator app"))
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


@transaction.atomic
def backup_codes_replace(user: Any) -> list[str]:
    """A fresh set of single-use backup codes; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _render_codes(request: HttpRequest, codes: list[str], target: str) -> HttpResponse:
    # Shown in this one response (the views are never_cache: no-store), never again.
    return render(request, "complaints/two_factor/backup_codes.html", {"codes": codes, "next": target})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Show a new authenticator secret (QR and base32), confirm it with a code, then the backup codes."""
    target = _next_url(request)
    if _totp_device(request.user) is not None:
        # One authenticator per account; replacing it is a reset by an admin (reset_two_factor).
        return redirect("web-2fa" if is_verified(request) else _with_next("web-2fa-verify", target))
    device = _totp_device(request.user, confirmed=False) or TOTPDevice.objects.create(
        user=request.user, name=TOTP_NAME, confirmed=False
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _check(form, device):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = backup_codes_replace(request.user)
        _login(request, device)
        log.info("second factor enrolled by user id %s", request.user.pk)
        return _render_codes(request, codes, target)
    context = {"form": form, "qr": _qr(device), "secret": _secret_groups(device), "next": target}
    return render(request, "complaints/two_factor/enrol.html", context, status=400 if form.errors else 200)


# --- verify ------------------------------------------------------------------


def _device_for(user: Any, token: str) -> Any:
    """A 6-digit code is for the authenticator; anything else is a backup code."""
    if token.isdigit() and len(token) == 6:
        return _totp_device(user)
    return StaticDevice.objects.filter(user=user, name=BACKUP_NAME).first()


def _check(form: CodeForm, device: Any) -> bool:
    """Verify the code on ``device`` within django-otp's throttling; say why in the form if not."""
    allowed, why = device.verify_is_allowed() if device is not None else (True, None)
    if not allowed:
        until = (why or {}).get("locked_until")
        wait = max(1, math.ceil((until - timezone.now()).total_seconds())) if until else 1
        form.add_error("code", _("Too many wrong codes: try again in %(n)s s.") % {"n": wait})
        return False
    with transaction.atomic():
        ok = device is not None and device.verify_token(form.token())
    if not ok:
        log.warning("wrong second-factor code for user id %s", getattr(device, "user_id", None))
        form.add_error("code", _("That code is not right. Check the time on your phone, or use a backup code."))
    return ok


def _login(request: HttpRequest, device: Any) -> None:
    request.session.cycle_key()  # a more privileged session: a new session id
    django_otp.login(request, device)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the authenticator app, or a backup code (used up)."""
    target = _next_url(request)
    if not django_otp.user_has_device(request.user):
        return redirect(_with_next("web-2fa-enrol", target))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _device_for(request.user, form.token())
        if _check(form, device):
            _login(request, device)
            return redirect(target)
    context = {"form": form, "next": target, "required": two_factor_required(request.user)}
    return render(request, "complaints/two_factor/verify.html", context, status=400 if form.errors else 200)


# --- the account's devices ----------------------------------------------------


def is_verified(request: HttpRequest) -> bool:
    """Has this session passed the second factor (OTPMiddleware's ``user.is_verified``)?"""
    check = getattr(request.user, "is_verified", None)
    return bool(callable(check) and check())


def _verified_or_ask(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_verified(request):
        return ask_second_factor(request, reverse("web-2fa"))
    return None


@never_cache
@login_required
def devices(request: HttpRequest) -> HttpResponse:
    """The account's authenticator and how many backup codes are left."""
    backup = StaticDevice.objects.filter(user=request.user, name=BACKUP_NAME).first()
    context = {
        "totp": _totp_device(request.user),
        "backup_left": backup.token_set.count() if backup else 0,
        "verified": is_verified(request),
        "required": two_factor_required(request.user),
    }
    return render(request, "complaints/two_factor/devices.html", context)


@never_cache
@require_POST
def backup_codes_regenerate(request: HttpRequest) -> HttpResponse:
    """New backup codes, shown once; only from a session that passed the second factor."""
    refused = _verified_or_ask(request)
    if refused is not None:
        return refused
    codes = backup_codes_replace(request.user)
    log.info("backup codes regenerated by user id %s", request.user.pk)
    return _render_codes(request, codes, reverse("web-2fa"))
