"""The default cache: Redis, failing over to a database table while Redis is unreachable.

    CACHES = {"default": {
        "BACKEND": "apps.core.cache.FailoverCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2,
                    "BREAKER_SECONDS": 15},          # optional, with the other keys below
    }}

Every operation goes to Redis first. A connection error or timeout trips a circuit breaker
(shared by the threads of the process): for BREAKER_SECONDS every cache call goes straight to
Django's DatabaseCache on the `core_cache_fallback` table (created by apps/core's migration),
so a page never waits on a dead Redis more than once per period. After the period one call
tries Redis again; success closes the breaker. One warning is logged when Redis goes away and
one info line when it is back.

So while Redis is down, allauth's and our rate limits count in the database, and nav badges,
cached counts and stashes keep working from the table. Values cached in Redis before an
outage are not revisited when it returns: they live out their TTL (see docs/decisions.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

FALLBACK_CACHE_TABLE = "core_cache_fallback"
DEFAULT_BREAKER_SECONDS = 15.0
DEFAULT_FALLBACK_MAX_ENTRIES = 10000

# What "Redis is unreachable" looks like (BusyLoadingError is a ConnectionError).
REDIS_DOWN: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

T = TypeVar("T")


class CircuitBreaker:
    """Open for `seconds` after a failure; shared by every cache instance on one server."""

    def __init__(self, *, name: str, seconds: float) -> None:
        self.name = name
        self.seconds = seconds
        self.open_until = 0.0
        self.down = False
        self._lock = threading.Lock()

    def allows(self) -> bool:
        return time.monotonic() >= self.open_until

    def trip(self, exc: Exception) -> None:
        with self._lock:
            first = not self.down
            self.down = True
            self.open_until = time.monotonic() + self.seconds
        if first:
            logger.warning(
                "cache: Redis at %s is unreachable (%s: %s); using the database cache, "
                "retrying Redis every %.0f s",
                self.name,
                exc.__class__.__name__,
                exc,
                self.seconds,
            )

    def succeed(self) -> None:
        if not self.down:
            return
        with self._lock:
            was_down, self.down = self.down, False
            self.open_until = 0.0
        if was_down:
            logger.info("cache: Redis at %s answers again; back on Redis", self.name)

    def reset(self) -> None:
        with self._lock:
            self.down = False
            self.open_until = 0.0


_BREAKERS: dict[str, CircuitBreaker] = {}
_BREAKERS_LOCK = threading.Lock()


def _breaker_for(name: str, seconds: float) -> CircuitBreaker:
    with _BREAKERS_LOCK:
        breaker = _BREAKERS.get(name)
        if breaker is None:
            breaker = _BREAKERS[name] = CircuitBreaker(name=name, seconds=seconds)
        breaker.seconds = seconds
        return breaker


def breakers_reset() -> None:
    """Close every breaker (tests that stop and start Redis)."""
    with _BREAKERS_LOCK:
        for breaker in _BREAKERS.values():
            breaker.reset()


def _safe_location(server: str | list[str]) -> str:
    """The server(s) without any password, for log lines."""
    servers = server if isinstance(server, list) else str(server).split(",")
    return ",".join(s.split("@", 1)[-1] for s in servers)


class FailoverCache(RedisCache):
    """RedisCache that answers from a DatabaseCache while Redis is unreachable."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        table = options.pop("FALLBACK_TABLE", FALLBACK_CACHE_TABLE)
        seconds = float(options.pop("BREAKER_SECONDS", DEFAULT_BREAKER_SECONDS))
        max_entries = int(options.pop("FALLBACK_MAX_ENTRIES", DEFAULT_FALLBACK_MAX_ENTRIES))
        params["OPTIONS"] = options
        super().__init__(server, params)
        shared_keys = ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")
        shared = {k: params[k] for k in shared_keys if k in params}
        self.fallback = DatabaseCache(table, {**shared, "OPTIONS": {"MAX_ENTRIES": max_entries}})
        self.breaker = _breaker_for(_safe_location(server), seconds)

    def _failover(self, primary: Callable[[], T], fallback: Callable[[], T]) -> T:
        if self.breaker.allows():
            try:
                result = primary()
            except REDIS_DOWN as exc:
                self.breaker.trip(exc)
            else:
                self.breaker.succeed()
                return result
        return fallback()

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._failover(
            lambda: super(FailoverCache, self).add(key, value, timeout, version),
            lambda: self.fallback.add(key, value, timeout, version),
        )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._failover(
            lambda: super(FailoverCache, self).get(key, default, version),
            lambda: self.fallback.get(key, default, version),
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._failover(
            lambda: super(FailoverCache, self).set(key, value, timeout, version),
            lambda: self.fallback.set(key, value, timeout, version),
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._failover(
            lambda: super(FailoverCache, self).touch(key, timeout, version),
            lambda: self.fallback.touch(key, timeout, version),
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._failover(
            lambda: super(FailoverCache, self).delete(key, version),
            lambda: self.fallback.delete(key, version),
        )

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        return self._failover(
            lambda: super(FailoverCache, self).get_many(keys, version),
            lambda: self.fallback.get_many(keys, version),
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._failover(
            lambda: super(FailoverCache, self).has_key(key, version),
            lambda: self.fallback.has_key(key, version),
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._failover(
            lambda: super(FailoverCache, self).incr(key, delta, version),
            lambda: self.fallback.incr(key, delta, version),
        )

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._failover(
            lambda: super(FailoverCache, self).set_many(data, timeout, version),
            lambda: self.fallback.set_many(data, timeout, version),
        )

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        keys = list(keys)
        self._failover(
            lambda: super(FailoverCache, self).delete_many(keys, version),
            lambda: self.fallback.delete_many(keys, version),
        )

    def clear(self) -> None:
        self._failover(
            lambda: super(FailoverCache, self).clear(),
            lambda: self.fallback.clear(),
        )

    def close(self, **kwargs: Any) -> None:
        super().close(**kwargs)
        self.fallback.close(**kwargs)
