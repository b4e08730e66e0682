"""The console nav's open-alert badge, cached so it costs no query on most pages.

The cached count is keyed by a per-tenant version that every change to the tenant's alerts
bumps (after commit): raised by the sweep, resolved by an event, acknowledged or snoozed.
What changes a count without touching an alert (a partner given to another CAM, a snooze
running out) shows within BADGE_TTL; the day is part of the key so snoozes end on time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Membership, Tenant

BADGE_TTL = 60


def _version_key(tenant_id: int) -> str:
    return f"milestones:alerts-version:{tenant_id}"


def alerts_changed(*, tenant_ids: Iterable[int]) -> None:
    """Invalidate the badges of these tenants once the current transaction commits."""
    ids = sorted(set(tenant_ids))
    if not ids:
        return

    def bump() -> None:
        cache.set_many({_version_key(t): time.time_ns() for t in ids}, timeout=None)

    transaction.on_commit(bump, robust=True)  # a cache error is logged, never raised


def open_alert_count_cached(*, tenant: Tenant, user: User, membership: Membership) -> int:
    from apps.milestones.selectors.alerts import open_alert_count

    version = cache.get(_version_key(tenant.pk), 0)
    key = (
        f"milestones:open-alerts:{tenant.pk}:{user.pk}:{membership.role}:"
        f"{timezone.localdate().isoformat()}:{version}"
    )
    count: int | None = cache.get(key)
    if count is None:
        count = open_alert_count(tenant=tenant, user=user, membership=membership)
        cache.set(key, count, BADGE_TTL)
    return count
