"""The console nav's work-queue badge: the actions waiting for the member's partners, cached
so it costs no query on most pages (as the alerts badge: apps/milestones/alert_badge.py).

The cached count is keyed by a per-tenant version that every change of an action's status
bumps after commit (the transitions in services/actions.py call `queue_changed`). What
changes a count without a transition (a partner given to another CAM, a partner moved to
another pipeline, a CAM deactivated) shows within BADGE_TTL.

The count is kept as `(version, count)` under a key without the version, so the nav reads
it with the other badges in one `cache.get_many` (apps/core/nav_badges.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

from apps.core.nav_badges import NavBadge, version_bump, versioned_count

if TYPE_CHECKING:
    from apps.tenancy.models import Membership, Tenant

BADGE_TTL = 60


def _version_key(tenant_id: int) -> str:
    return f"onboarding:queue-version:{tenant_id}"


def queue_changed(*, tenant_id: int) -> None:
    """Invalidate the tenant's queue badges now (the response of the request that made the
    change shows the new count) and again once the transaction commits (a count read by
    another request before the commit is not kept). A cache error is logged, never raised."""
    version_bump(_version_key(tenant_id))


def _value_key(tenant_id: int, membership: Membership) -> str:
    return f"onboarding:queue-count:{tenant_id}:{membership.user_id}:{membership.role}"


def queue_count_cached(*, tenant: Tenant, membership: Membership) -> int:
    from apps.onboarding.selectors_queue import queue_count

    return versioned_count(
        version_key=_version_key(tenant.pk),
        value_key=_value_key(tenant.pk, membership),
        ttl=BADGE_TTL,
        compute=lambda: queue_count(tenant=tenant, membership=membership),
    )


def _applies(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and bool(membership.is_staff_role)


def _compute(request: HttpRequest) -> int:
    from apps.onboarding.selectors_queue import queue_count

    return queue_count(tenant=request.tenant, membership=request.membership)  # type: ignore[attr-defined]


QUEUE_BADGE = NavBadge(
    name="queue",
    applies=_applies,
    version_key=lambda r: _version_key(r.tenant.pk),  # type: ignore[attr-defined]
    value_key=lambda r: _value_key(r.tenant.pk, r.membership),  # type: ignore[attr-defined]
    compute=_compute,
    ttl=BADGE_TTL,
    preset="_queue_waiting",  # the work queue page counts it itself (views_queue.py)
)
