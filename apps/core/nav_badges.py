"""The navigation's count badges (unread notifications, pending applications, the work
queue, open alerts), read with ONE cache round trip per request (issue 15).

Each app registers its badge in its AppConfig.ready (a lower layer cannot import the
higher apps whose counts the console shows). A badge names:
- `version_key`: a key its app replaces after every change that may alter the count (None:
  the app deletes `value_key` instead);
- `value_key`: where the count is kept, stored as `(version, count)` so both keys are read
  in the same `cache.get_many` and a count computed under an older version is recomputed.
A count whose computation started before a change commits was stored under the version read
before it, so the change's new version makes it stale: no window where an old count sticks.

`nav_badges(request)` returns {name: count} for the badges that apply to the request,
computed once per request; misses are computed (a query each) and written back with one
`set_many` per TTL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavBadge:
    name: str
    applies: Callable[[HttpRequest], bool]
    value_key: Callable[[HttpRequest], str]
    compute: Callable[[HttpRequest], int]
    ttl: int
    version_key: Callable[[HttpRequest], str] | None = None
    # A request attribute a view sets when it has just counted the same thing itself (the
    # work queue, the applications queue): then the badge is neither read nor computed.
    preset: str | None = None


_BADGES: dict[str, NavBadge] = {}


def nav_badge_register(badge: NavBadge) -> None:
    _BADGES[badge.name] = badge


def _unpack(stored: Any, version: Any) -> int | None:
    """The count kept under `version`, or None (missing, or computed before a change)."""
    if (
        isinstance(stored, tuple)
        and len(stored) == 2
        and stored[0] == version
        and isinstance(stored[1], int)
    ):
        return stored[1]
    return None


def nav_badges(request: HttpRequest) -> dict[str, int]:
    """The counts of every badge that applies to this request (one cache GET for all)."""
    cached: dict[str, int] | None = getattr(request, "_nav_badges", None)
    if cached is not None:
        return cached
    counts: dict[str, int] = {}
    badges: list[NavBadge] = []
    for badge in _BADGES.values():
        if not badge.applies(request):
            continue
        preset = getattr(request, badge.preset, None) if badge.preset else None
        if isinstance(preset, int):
            counts[badge.name] = preset
        else:
            badges.append(badge)
    keys: dict[str, tuple[str | None, str]] = {
        b.name: (b.version_key(request) if b.version_key else None, b.value_key(request))
        for b in badges
    }
    wanted = [k for pair in keys.values() for k in pair if k is not None]
    try:
        got = cache.get_many(wanted) if wanted else {}
    except Exception:  # noqa: BLE001 - the failover cache already handles Redis; belt and braces
        logger.warning("nav badges: cache read failed", exc_info=True)
        got = {}
    misses: dict[int, dict[str, Any]] = {}
    for badge in badges:
        version_key, value_key = keys[badge.name]
        stored = got.get(value_key)
        if version_key is None:
            count = stored if isinstance(stored, int) else None
        else:
            count = _unpack(stored, got.get(version_key, 0))
        if count is None:
            count = badge.compute(request)
            if version_key is None:
                value: Any = count
            else:
                value = (got.get(version_key, 0), count)
            misses.setdefault(badge.ttl, {})[value_key] = value
        counts[badge.name] = count
    for ttl, data in misses.items():
        try:
            cache.set_many(data, ttl)
        except Exception:  # noqa: BLE001 - a count not kept is computed again next time
            logger.warning("nav badges: cache write failed", exc_info=True)
    request._nav_badges = counts  # type: ignore[attr-defined]
    return counts


def versioned_count(
    *, version_key: str, value_key: str, ttl: int, compute: Callable[[], int]
) -> int:
    """One badge's count outside a request (e.g. a dashboard), in the same storage."""
    got = cache.get_many([version_key, value_key])
    version = got.get(version_key, 0)
    count = _unpack(got.get(value_key), version)
    if count is None:
        count = compute()
        cache.set(value_key, (version, count), ttl)
    return count


def version_bump(*keys: str) -> None:
    """Replace these versions now and again once the current transaction commits: a count
    read inside the transaction, or by a request that started before the commit, is then
    recomputed. A cache error is logged, never raised (the counts expire on their own)."""
    if not keys:
        return

    def bump() -> None:
        try:
            cache.set_many({k: time.time_ns() for k in keys}, timeout=None)
        except Exception:  # noqa: BLE001 - a cache outage must not fail a saved change
            logger.warning("nav badges: could not bump %s", keys, exc_info=True)

    bump()
    transaction.on_commit(bump)
