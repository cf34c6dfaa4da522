"""Rate limits: per API key, and per client IP for anonymous filing and status lookups.

Counts live in the Django cache (Redis in the full stack, so every web process shares
them). Rates come from settings ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``. A refused
request gets 429 with ``Retry-After`` (set by DRF from ``wait()``).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from complaints.models import ApiKey


def client_ip(request: Request) -> str:
    """The caller's address. X-Forwarded-For is trusted only behind NUM_PROXIES known proxies.

    (DRF's default trusts the whole header when NUM_PROXIES is unset, which lets anyone
    pick a fresh "address" per request and walk past a per-IP limit.)
    """
    remote = str(request.META.get("REMOTE_ADDR") or "unknown")
    proxies = api_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote
    hops = [h.strip() for h in str(forwarded).split(",") if h.strip()]
    return hops[-min(int(proxies), len(hops))] if hops else remote


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
