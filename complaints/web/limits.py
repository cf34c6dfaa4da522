"""Rate limits for web views: the API's throttles (the same counts, in the shared cache), as a 429 page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import ngettext
from rest_framework.throttling import SimpleRateThrottle

from complaints.api.throttling import throttle_wait
from complaints.middleware import refusal


def throttled(request: HttpRequest, throttle_class: type[SimpleRateThrottle]) -> HttpResponse | None:
    """The 429 refusal for ``request`` if it is over the throttle's rate (and counts it), else None."""
    wait = throttle_wait(throttle_class, request)
    if wait is None:
        return None
    message = ngettext(
        "Too many attempts from your address. Please try again in %(seconds)s second.",
        "Too many attempts from your address. Please try again in %(seconds)s seconds.",
        wait,
    ) % {"seconds": wait}
    return refusal(
        request,
        status=429,
        code="throttled",
        message=message,
        template="429.html",
        headers={"Retry-After": str(wait)},
        context={"retry_after": wait, "retry_at": timezone.localtime() + timedelta(seconds=wait)},
    )


def rate_limited(throttle_class: type[SimpleRateThrottle]) -> Callable[[Callable[..., HttpResponse]], Any]:
    """Decorate a view with a throttle; put it outside ``cache_page`` so cached answers count too."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return throttled(request, throttle_class) or view(request, *args, **kwargs)

        return wrapper

    return decorate
