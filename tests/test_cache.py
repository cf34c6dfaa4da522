from __future__ import annotations

from registry.cache import ResilientRedisCache


def test_cache_degrades_when_redis_is_down():
    cache = ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)  # no exception
    assert cache.add("k", 1) is False
    assert cache.get_many(["k"]) == {}
