"""Is a webhook URL safe to call? http(s) only, and never a private or loopback address.

Checked when a subscription is created or changed; the delivery code can call it again
before each request, because DNS answers change (a public name re-pointed at 127.0.0.1).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from complaints.notifications import netguard
from complaints.services import ValidationFailed


class UnsafeWebhookURL(ValidationFailed):
    code = "unsafe_url"


def check_webhook_url(url: str) -> None:
    """Raise ``UnsafeWebhookURL`` (a ServiceError) unless ``url`` may receive webhooks."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise UnsafeWebhookURL(_("This is not a valid URL."), "url") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeWebhookURL(_("Webhook URLs must start with http:// or https://."), "url")
    if not parts.hostname:
        raise UnsafeWebhookURL(_("The URL has no host name."), "url")
    if parts.username or parts.password:
        raise UnsafeWebhookURL(_("Put credentials in your receiver's checks, not in the URL."), "url")
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return  # tests and local setups: any host, resolved only when a delivery is made
    try:
        netguard.resolve(url)  # the same rule the delivery applies before every send
    except netguard.UnsafeURL as exc:
        raise UnsafeWebhookURL(str(exc), "url") from None
    except ConnectionError:
        raise UnsafeWebhookURL(
            _("The host “%(host)s” does not resolve; check the URL.") % {"host": parts.hostname}, "url"
        ) from None
