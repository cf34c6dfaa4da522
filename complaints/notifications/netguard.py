"""Outbound webhook requests that cannot be pointed at the registry's own network.

A subscription's URL was checked when it was saved, but DNS can change afterwards
(rebinding), so every send resolves the host again, refuses private, loopback,
link-local and other non-public addresses, and then connects to exactly the address
it checked: the connection is pinned to the IP, while the Host header, TLS SNI and
certificate check still use the host name. Redirects are never followed.

``settings.WEBHOOK_ALLOW_PRIVATE_URLS`` (tests, local receivers) lifts the address
rule but keeps the scheme rule and the pinning.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from complaints.errors import UnsafeWebhookURL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL may not be called: wrong scheme, no host, or a non-public address."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name from the URL, for Host, SNI and the certificate check
    port: int
    ip: str  # the checked address the connection is pinned to
    path: str  # path and query
    host_header: str


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return is_public_address(mapped)
    return ip.is_global and not ip.is_multicast


def _split(url: str) -> tuple[str, str, int, str, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise UnsafeURL(_("Webhook URLs must start with http:// or https://, not “%(url)s”.") % {"url": url})
    host = parts.hostname
    if not host:
        raise UnsafeURL(_("The webhook URL “%(url)s” has no host name.") % {"url": url})
    port = parts.port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    netloc = parts.netloc.rpartition("@")[2]
    return scheme, host, port, path, netloc


def resolve(url: str, *, allow_private: bool | None = None) -> Target:
    """Resolve the URL's host now and check every address it resolves to."""
    if allow_private is None:
        allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    scheme, host, port, path, netloc = _split(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectionError(f"cannot resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise ConnectionError(f"{host} resolves to no address")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise UnsafeURL(
                    _(
                        "The webhook host %(host)s resolves to %(ip)s, a private or local address; "
                        "webhooks only go to public addresses."
                    )
                    % {"host": host, "ip": address}
                )
    return Target(scheme, host, port, str(addresses[0]), path, netloc)


# One connection pool per (scheme, pinned IP, port, host) per worker process, so
# consecutive deliveries to a receiver reuse a kept-alive connection.
_POOLS: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
_MAX_POOLS = 64


def _pool(target: Target) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, target.ip, target.port, target.host)
    pool = _POOLS.get(key)
    if pool is not None:
        return pool
    if len(_POOLS) >= _MAX_POOLS:
        _POOLS.pop(next(iter(_POOLS))).close()
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.ip,
            target.port,
            maxsize=2,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.ip, target.port, maxsize=2)
    _POOLS[key] = pool
    return pool


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]


def post(target: Target, body: bytes, headers: dict[str, str], timeout: urllib3.Timeout | float) -> Response:
    """POST to the pinned address. Raises urllib3 errors on network failure (timeouts included).

    ``timeout``: connect and read timeouts (``urllib3.Timeout``), or one number for both.
    """
    if not isinstance(timeout, urllib3.Timeout):
        timeout = urllib3.Timeout(connect=timeout, read=timeout)
    response = _pool(target).urlopen(
        "POST",
        target.path,
        body=body,
        headers={**headers, "Host": target.host_header},
        redirect=False,
        retries=False,
        assert_same_host=False,
        timeout=timeout,
        preload_content=False,
    )
    try:
        # Read a bounded amount: the answer's body is not needed, and a receiver that
        # streams forever must not hold the worker. Unread leftovers close the socket.
        response.read(65536)
        if response.read(1):
            response.close()
    finally:
        response.release_conn()
    return Response(status=response.status, headers={k.lower(): v for k, v in response.headers.items()})


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
        resolve(url)  # the same rule the delivery applies before every send
    except UnsafeURL as exc:
        raise UnsafeWebhookURL(str(exc), "url") from None
    except ConnectionError:
        raise UnsafeWebhookURL(
            _("The host “%(host)s” does not resolve; check the URL.") % {"host": parts.hostname}, "url"
        ) from None
