"""The filer's printable receipt: the code, a QR code of the status page (never the secret), the evidence hashes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.documents import qr_svg


def status_url(request: HttpRequest, code: str, *, anonymous: bool) -> str:
    """Where the filer follows the complaint: the lookup page with the code filled in, or their own page.

    The secret is never part of it: a photographed or printed QR code unlocks nothing.
    """
    if anonymous:
        return request.build_absolute_uri(reverse("web-status") + "?" + urlencode({"code": code}))
    return request.build_absolute_uri(reverse("web-track", args=[code]))


def receipt_context(request: HttpRequest, code: str, secret: str) -> dict[str, Any]:
    url = status_url(request, code, anonymous=bool(secret))
    return {
        "code": code,
        "secret": secret,
        "status_url": url,
        # segno escapes the title; the SVG is generated here from our own URL, never from user markup.
        "qr": mark_safe(qr_svg(url, title=_("QR code of the status page")).replace("<svg ", '<svg role="img" ', 1)),  # noqa: S308
        "evidence": selectors.receipt_evidence(code=code),
    }
