"""Rate limits of the public pages, counted in the shared cache (Redis).

A limit is N hits per period (a sliding window). Keys are hashed, so the cache never holds
addresses or emails.
The client IP comes from allauth's adapter, which honours ALLAUTH_TRUSTED_PROXY_COUNT /
ALLAUTH_TRUSTED_CLIENT_IP_HEADER behind a proxy, like the sign-in limits.
"""

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


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


def client_ip(request) -> str:
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request) or ""
    except Exception:  # noqa: BLE001 - a malformed proxy header must not break the form
        return request.META.get("REMOTE_ADDR", "")


def _key(limit: Limit, *, tenant_id: int, value: str, window: int) -> str:
    digest = hashlib.sha256(f"{tenant_id}:{value.strip().lower()}".encode()).hexdigest()[:32]
    return f"rl:applications:{limit.name}:{digest}:{window}"


def limit_hit(limit: Limit, *, tenant_id: int, value: str) -> bool:
    """Count one hit; True when this hit is over the limit.

    A sliding window, approximated from two fixed ones: the hits of the current period plus
    the previous period's, weighted by how much of it still lies within `period` seconds.
    Two atomic Redis operations, no lock, and no burst at period boundaries.
    """
    now = time.time()
    window = int(now // limit.period)
    key = _key(limit, tenant_id=tenant_id, value=value, window=window)
    if cache.add(key, 1, timeout=2 * limit.period):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=2 * limit.period)
            count = 1
    previous = cache.get(_key(limit, tenant_id=tenant_id, value=value, window=window - 1)) or 0
    weight = 1 - (now % limit.period) / limit.period
    return count + previous * weight > limit.hits


def limits_hit(request, *, tenant_id: int, checks: list[tuple[Limit, str]]) -> bool:
    """Count a hit on each (limit, value); True when any is over its limit.

    Every limit is counted, so an address cannot be probed by how soon it is refused.
    """
    over = False
    for limit, value in checks:
        if value and limit_hit(limit, tenant_id=tenant_id, value=value):
            over = True
    return over
