"""Is a webhook URL safe to call? http(s) only, and never a private or loopback address.

Checked when a subscription is created or changed; the delivery code can call it again
before each request, because DNS answers change (a public name re-pointed at 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from complaints.services import ValidationFailed


class UnsafeWebhookURL(ValidationFailed):
    code = "unsafe_url"


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnsafeWebhookURL(
            _("The host “%(host)s” does not resolve; check the URL.") % {"host": host}, "url"
        ) from None
    return sorted({str(info[4][0]) for info in infos})


def check_webhook_url(url: str) -> None:
    """Raise ``UnsafeWebhookURL`` (a ServiceError) unless ``url`` may receive webhooks."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeWebhookURL(_("This is not a valid URL."), "url") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeWebhookURL(_("Webhook URLs must start with http:// or https://."), "url")
    if not parts.hostname:
        raise UnsafeWebhookURL(_("The URL has no host name."), "url")
    if parts.username or parts.password:
        raise UnsafeWebhookURL(_("Put credentials in your receiver's checks, not in the URL."), "url")
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    for address in _resolve(parts.hostname, port):
        if not _is_public(address):
            raise UnsafeWebhookURL(
                _("“%(host)s” resolves to %(address)s, a private or local address; webhooks must go to a public host.")
                % {"host": parts.hostname, "address": address},
                "url",
            )
