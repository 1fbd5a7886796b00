"""portal.cache: Django's Redis cache with one redis-py client kept per pool
(a new client per call cost ~0.1 ms of CPU each). Against the suite's real
Redis; a restart is in accounts/tests/test_redis_outage.py."""

from __future__ import annotations

import threading

import redis
from django.core.cache import cache, caches


def test_cache_calls_of_a_thread_share_one_client(monkeypatch):
    made = []
    init = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    cache = caches.create_connection("default")  # a new cache object, no client yet
    cache.clear()
    cache.set("a", {"x": 1}, 60)
    assert cache.add("a", "other", 60) is False
    assert cache.add("b", 1, 60) is True
    assert cache.incr("b") == 2
    assert cache.get_many(["a", "b", "missing"]) == {"a": {"x": 1}, "b": 2}
    cache.delete("a")
    assert cache.get("a", "gone") == "gone"
    assert len(made) == 1  # every call above, one client
    assert cache._cache.get_client() is made[0]


def test_cache_each_thread_has_its_own_cache_object_and_values_are_shared():
    """Django keeps a cache object per thread; each keeps its own client, and
    what one thread writes another reads (the same Redis)."""
    cache.set("shared", "from the main thread", 60)
    seen = {}

    def other():
        seen["value"] = caches["default"].get("shared")
        seen["client"] = caches["default"]._cache.get_client()
        caches["default"].set("shared", "from another thread", 60)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen["value"] == "from the main thread"
    assert seen["client"] is not cache._cache.get_client()
    assert cache.get("shared") == "from another thread"
