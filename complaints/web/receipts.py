"""The filer's printable receipt: the code, a QR code of the status page (never code or secret), the hashes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.documents import qr_svg
from complaints.web.privacy import own_ref


def status_url(request: HttpRequest, *, anonymous: bool) -> str:
    """Where the filer follows the complaint: the lookup page, or their own "My complaints".

    Neither the code nor the secret is part of it: a photographed or printed QR code unlocks
    nothing, and opening it puts no receipt code in an access log next to the filer's address.
    """
    return request.build_absolute_uri(reverse("web-status" if anonymous else "web-my"))


def receipt_context(request: HttpRequest, code: str, secret: str) -> dict[str, Any]:
    url = status_url(request, anonymous=bool(secret))
    own = not secret and request.user.is_authenticated
    return {
        "code": code,
        "secret": secret,
        "status_url": url,
        "track_url": reverse("web-track", args=[own_ref(request, code)]) if own else url,
        # segno escapes the title; the SVG is generated here from our own URL, never from user markup.
        "qr": mark_safe(qr_svg(url, title=_("QR code of the status page")).replace("<svg ", '<svg role="img" ', 1)),  # noqa: S308
        "evidence": selectors.receipt_evidence(code=code),
    }
