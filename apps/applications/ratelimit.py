"""Rate limits of the public pages, counted in the shared cache (Redis).

A limit is N hits per period (a sliding window), always per program (the tenant is part of
every key): one abusive client on one program never slows another program's applicants.
Keys are hashed, so the cache never holds addresses or emails.
The client IP is the real one behind our proxies (apps/core/clientip.py), as for the
sign-in limits.

When the shared cache is unreachable (and its database fallback too, see apps/core/cache.py)
the limits fall back to a cache in this process's memory, so /apply/ keeps working and is
still limited, only per process until the shared cache answers again.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest

from apps.core.clientip import client_ip

__all__ = ["Limit", "client_ip", "limit_hit", "limits_hit"]

logger = logging.getLogger(__name__)

# Counts kept here while the shared cache raises; one per process.
_local = LocMemCache("onramp-ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


@dataclass(frozen=True)
class Limit:
    name: str
    hits: int
    period: int  # seconds


APPLY_PER_IP = Limit("apply-ip", 10, 3600)
APPLY_PER_EMAIL = Limit("apply-email", 3, 3600)
RESEND_PER_IP = Limit("resend-ip", 10, 3600)
RESEND_PER_EMAIL = Limit("resend-email", 3, 3600)
CONFIRM_PER_IP = Limit("confirm-ip", 60, 3600)


def _key(limit: Limit, *, tenant_id: int, value: str, window: int) -> str:
    digest = hashlib.sha256(f"{tenant_id}:{value.strip().lower()}".encode()).hexdigest()[:32]
    return f"rl:applications:{limit.name}:{digest}:{window}"


def limit_hit(limit: Limit, *, tenant_id: int, value: str) -> bool:
    """Count one hit; True when this hit is over the limit.

    A sliding window, approximated from two fixed ones: the hits of the current period plus
    the previous period's, weighted by how much of it still lies within `period` seconds.
    Two atomic Redis operations, no lock, and no burst at period boundaries.
    """
    try:
        return _count(cache, limit, tenant_id=tenant_id, value=value)
    except Exception:  # noqa: BLE001 - any cache failure: count in this process instead
        logger.warning("Rate limit %s: shared cache unavailable, counting locally", limit.name)
        return _count(_local, limit, tenant_id=tenant_id, value=value)


def _count(store: Any, limit: Limit, *, tenant_id: int, value: str) -> bool:
    now = time.time()
    window = int(now // limit.period)
    key = _key(limit, tenant_id=tenant_id, value=value, window=window)
    if store.add(key, 1, timeout=2 * limit.period):
        count = 1
    else:
        try:
            count = store.incr(key)
        except ValueError:  # expired between add() and incr()
            store.add(key, 1, timeout=2 * limit.period)
            count = 1
    previous = store.get(_key(limit, tenant_id=tenant_id, value=value, window=window - 1)) or 0
    weight = 1 - (now % limit.period) / limit.period
    return count + previous * weight > limit.hits


def limits_hit(request: HttpRequest, *, tenant_id: int, checks: list[tuple[Limit, str]]) -> bool:
    """Count a hit on each (limit, value); True when any is over its limit.

    Every limit is counted, so an address cannot be probed by how soon it is refused.
    """
    over = False
    for limit, value in checks:
        if value and limit_hit(limit, tenant_id=tenant_id, value=value):
            over = True
    return over
