"""Rate limits per API key: a token bucket in Redis, updated atomically by one Lua script.

Each key has a bucket of API_RATE_BURST tokens, refilled at API_RATE_LIMIT tokens per
minute; a request takes one token. The script reads the clock of Redis (`TIME`), so every
web server shares one clock. An empty bucket answers 429 with `Retry-After`; every
response to a request made with a valid key carries

    RateLimit-Limit: <burst>            RateLimit-Remaining: <tokens left, whole>
    RateLimit-Reset: <seconds until the bucket is full again>
    RateLimit-Policy: <per minute>;w=60;burst=<burst>

Redis unreachable: the request is let through (fail open) and a warning is logged, at
most once per breaker period (the default cache's circuit breaker, apps/core/cache.py, is
shared, so a dead Redis costs one connection timeout per period, not one per request).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches

from apps.core.cache import REDIS_DOWN

logger = logging.getLogger(__name__)

# KEYS[1]: the bucket. ARGV: capacity, refill tokens per second. Returns
# {allowed (0/1), tokens left (string: Lua numbers are truncated to integers on return)}.
_TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {allowed, tostring(tokens)}
"""


@dataclass(frozen=True)
class Bucket:
    allowed: bool
    limit: int  # the bucket's capacity (burst)
    remaining: int
    reset: int  # seconds until full
    retry_after: int  # seconds until one token (0 when allowed)
    per_minute: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.per_minute};w=60;burst={self.limit}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def _config() -> tuple[int, int]:
    per_minute = max(1, int(settings.API_RATE_LIMIT))
    burst = max(1, int(getattr(settings, "API_RATE_BURST", 0) or per_minute))
    return per_minute, burst


_last_warning = 0.0


def _warn_fail_open(exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= 60:
        _last_warning = now
        logger.warning(
            "api rate limit: Redis unreachable (%s: %s); requests are let through (fail open)",
            exc.__class__.__name__,
            exc,
        )


def _client_and_key(bucket_id: str) -> tuple[Any, str, Any]:
    """The Redis client of the default cache (None for a cache that is not Redis), the
    bucket's key in its namespace, and its circuit breaker."""
    cache = caches["default"]
    key = cache.make_and_validate_key(f"api-rate:{bucket_id}")
    redis_cache = getattr(cache, "_cache", None)
    client = redis_cache.get_client(key, write=True) if redis_cache is not None else None
    return client, key, getattr(cache, "breaker", None)


def rate_limit_take(*, bucket_id: str) -> Bucket:
    """Take one token from the bucket `bucket_id` (an API key's id); fail open."""
    per_minute, burst = _config()
    rate = per_minute / 60.0
    unlimited = Bucket(
        allowed=True, limit=burst, remaining=burst, reset=0, retry_after=0, per_minute=per_minute
    )
    client, key, breaker = _client_and_key(bucket_id)
    if client is None:
        return unlimited
    if breaker is not None and not breaker.allows():
        _warn_fail_open(ConnectionError("the cache's circuit breaker is open"))
        return unlimited
    try:
        allowed, tokens_text = client.eval(_TOKEN_BUCKET, 1, key, burst, rate)
    except REDIS_DOWN as exc:
        if breaker is not None:
            breaker.trip(exc)
        _warn_fail_open(exc)
        return unlimited
    tokens = float(tokens_text)
    return Bucket(
        allowed=bool(int(allowed)),
        limit=burst,
        remaining=max(0, math.floor(tokens)),
        reset=max(0, math.ceil((burst - tokens) / rate)),
        retry_after=0 if allowed else max(1, math.ceil((1 - tokens) / rate)),
        per_minute=per_minute,
    )
