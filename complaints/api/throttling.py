"""Rate limits: per API key, and per client IP for anonymous filing and status lookups.

Counts live in the Django cache (Redis in the full stack, so every web process shares
them; with the embedded default's local-memory cache each process counts on its own).
Rates come from settings ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``. A refused API
request gets 429 with ``Retry-After`` (set by DRF from ``wait()``); the web forms use the
same throttles, and so the same counts, through :func:`throttle_wait`.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from complaints.models import ApiKey


def _address(value: Any) -> str | None:
    text = str(value or "").strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_ip(request: HttpRequest | Request) -> str:
    """The caller's address: X-Forwarded-For is read only as far as TRUSTED_PROXY_COUNT proxies vouch for it.

    Each trusted proxy appends the address it received the request from, so the client is
    the entry TRUSTED_PROXY_COUNT from the right; anything further left was written by the
    client and is ignored. (DRF's default trusts the whole header when NUM_PROXIES is unset,
    which lets anyone pick a fresh "address" per request and walk past a per-IP limit.)
    The one helper for throttles, idempotency owners and django-axes' login locking.
    """
    remote = _address(request.META.get("REMOTE_ADDR")) or str(request.META.get("REMOTE_ADDR") or "unknown")
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [h.strip() for h in str(forwarded).split(",") if h.strip()]
    if not hops:
        return remote
    return _address(hops[-min(proxies, len(hops))]) or remote


def throttle_wait(throttle_class: type[SimpleRateThrottle], request: HttpRequest) -> int | None:
    """For a web view: None if ``request`` is within the throttle's rate (and counts it), else seconds to wait."""
    throttle = throttle_class()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]  # reads only .method, .user, .META
        return None
    return max(1, math.ceil(throttle.wait() or 1))


class ApiKeyThrottle(SimpleRateThrottle):
    """Every request made with an API key counts against that key."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class AnonFilingThrottle(SimpleRateThrottle):
    """Anonymous complaints filed from one IP address."""

    scope = "anon_filing"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.method != "POST" or request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class AnonStatusThrottle(SimpleRateThrottle):
    """Receipt-code + secret lookups from one IP address: slows down guessing."""

    scope = "anon_status"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class PublicStatsThrottle(SimpleRateThrottle):
    """The public statistics (page, CSV, API) from one IP address: cached figures, but not a free firehose."""

    scope = "public_stats"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}
