"""The console nav's open-alert badge, cached so it costs no query on most pages.

The cached count is keyed by a per-tenant version that every change to the tenant's alerts
bumps (after commit): raised by the sweep, resolved by an event, acknowledged or snoozed.
What changes a count without touching an alert (a partner given to another CAM, a snooze
running out) shows within BADGE_TTL; the day is part of the key so snoozes end on time.

The count is kept as `(version, count)` under a key without the version, so the nav reads
it with the other badges in one `cache.get_many` (apps/core/nav_badges.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils import timezone

from apps.core.nav_badges import NavBadge, version_bump, versioned_count

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Membership, Tenant

BADGE_TTL = 60


def _version_key(tenant_id: int) -> str:
    return f"milestones:alerts-version:{tenant_id}"


def alerts_changed(*, tenant_ids: Iterable[int]) -> None:
    """Invalidate the badges of these tenants now and again once the current transaction
    commits (apps/core/nav_badges.py: `version_bump`; a cache error is logged, never raised)."""
    ids = sorted(set(tenant_ids))
    if ids:
        version_bump(*(_version_key(t) for t in ids))


def _value_key(tenant_id: int, user_id: int, role: str) -> str:
    return f"milestones:open-alerts:{tenant_id}:{user_id}:{role}:{timezone.localdate().isoformat()}"


def open_alert_count_cached(*, tenant: Tenant, user: User, membership: Membership) -> int:
    from apps.milestones.selectors.alerts import open_alert_count

    return versioned_count(
        version_key=_version_key(tenant.pk),
        value_key=_value_key(tenant.pk, user.pk, membership.role),
        ttl=BADGE_TTL,
        compute=lambda: open_alert_count(tenant=tenant, user=user, membership=membership),
    )


def _applies(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and bool(membership.is_staff_role)


def _compute(request: HttpRequest) -> int:
    from apps.milestones.selectors.alerts import open_alert_count

    return open_alert_count(
        tenant=request.tenant,  # type: ignore[attr-defined]
        user=request.user,  # type: ignore[arg-type]
        membership=request.membership,  # type: ignore[attr-defined]
    )


ALERTS_BADGE = NavBadge(
    name="alerts",
    applies=_applies,
    version_key=lambda r: _version_key(r.tenant.pk),  # type: ignore[attr-defined]
    value_key=lambda r: _value_key(r.tenant.pk, r.user.pk, r.membership.role),  # type: ignore[attr-defined,arg-type]
    compute=_compute,
    ttl=BADGE_TTL,
    preset="_open_alerts",
)
