"""/healthz (the process answers) and /readyz (its dependencies answer)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_redis() -> str | None:
    if not settings.REDIS_URL:
        return None
    try:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "redis": _check_redis()}
    if not settings.REDIS_URL:
        checks.pop("redis")
    down = {name: error for name, error in checks.items() if error}
    body: dict[str, object] = {
        "status": "unavailable" if down else "ok",
        "checks": {name: ("down: " + error) if error else "ok" for name, error in checks.items()},
    }
    if down:
        body["down"] = sorted(down)
    return JsonResponse(body, status=503 if down else 200)
