"""The console nav's work-queue badge: the actions waiting for the member's partners, cached
so it costs no query on most pages (as the alerts badge: apps/milestones/alert_badge.py).

The cached count is keyed by a per-tenant version that every change of an action's status
bumps after commit (the transitions in services/actions.py call `queue_changed`). What
changes a count without a transition (a partner given to another CAM, a partner moved to
another pipeline, a CAM deactivated) shows within BADGE_TTL.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction

if TYPE_CHECKING:
    from apps.tenancy.models import Membership, Tenant

BADGE_TTL = 60


def _version_key(tenant_id: int) -> str:
    return f"onboarding:queue-version:{tenant_id}"


def queue_changed(*, tenant_id: int) -> None:
    """Invalidate the tenant's queue badges once the current transaction commits."""

    def bump() -> None:
        cache.set(_version_key(tenant_id), time.time_ns(), timeout=None)

    transaction.on_commit(bump, robust=True)  # a cache error is logged, never raised


def queue_count_cached(*, tenant: Tenant, membership: Membership) -> int:
    from apps.onboarding.selectors_queue import queue_count

    version = cache.get(_version_key(tenant.pk), 0)
    key = f"onboarding:queue-count:{tenant.pk}:{membership.user_id}:{membership.role}:{version}"
    count: int | None = cache.get(key)
    if count is None:
        count = queue_count(tenant=tenant, membership=membership)
        cache.set(key, count, BADGE_TTL)
    return count
