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


# IANA special-purpose ranges refused whatever ``ipaddress`` thinks of them (its idea of
# ``is_global`` changes between Python versions), plus the translation prefixes through
# which an IPv6 address reaches an IPv4 host (NAT64, IPv4-compatible, Teredo).
_REFUSED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 (limited broadcast)
    )
)
_REFUSED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # unspecified, loopback and IPv4-compatible (::a.b.c.d)
        "::ffff:0:0/96",  # IPv4-mapped: decided by the IPv4 address it maps (below)
        "64:ff9b::/96",  # NAT64 well-known prefix: reaches an IPv4 host through our gateway
        "64:ff9b:1::/48",  # NAT64 local-use
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) included
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: decided by the IPv4 address it embeds (below)
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing (SRv6) SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
# Inside 2001::/23 a few assignments are globally reachable services, but none is a
# webhook receiver; they stay refused.
_EMBEDS_V4 = (ipaddress.IPv6Network("::ffff:0:0/96"), ipaddress.IPv6Network("2002::/16"))


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses outside every special-purpose range.

    An IPv4-mapped (``::ffff:a.b.c.d``) or 6to4 (``2002:AABB:CCDD::``) address is public
    only if the IPv4 address it carries is; NAT64, IPv4-compatible (``::a.b.c.d``) and
    Teredo addresses are refused whatever they carry.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None and any(ip in net for net in _EMBEDS_V4):
            return is_public_address(embedded)
        if any(ip in net for net in _REFUSED_V6):
            return False
    elif any(ip in net for net in _REFUSED_V4):
        return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


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
