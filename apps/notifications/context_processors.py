"""The unread-notifications count every page's nav shows, read from the cache with the
other nav badges in one round trip (apps/core/nav_badges.py). Creating or reading a
notification replaces the recipient's version (services.py: `unread_changed`), so the count
is right on the next page without a query on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core.nav_badges import NavBadge, nav_badges

UNREAD_TTL = 300  # seconds; every change replaces the version before then


def unread_version_key(tenant_id: int, user_id: int) -> str:
    return f"notifications:unread-version:{tenant_id}:{user_id}"


def unread_value_key(tenant_id: int, user_id: int) -> str:
    return f"notifications:unread:{tenant_id}:{user_id}"


def _applies(request: HttpRequest) -> bool:
    return (
        getattr(request, "tenant", None) is not None
        and getattr(request, "membership", None) is not None
    )


def _compute(request: HttpRequest) -> int:
    from apps.notifications.selectors import notification_unread_count

    return notification_unread_count(tenant=request.tenant, recipient=request.user)  # type: ignore[attr-defined]


UNREAD_BADGE = NavBadge(
    name="notifications",
    applies=_applies,
    version_key=lambda r: unread_version_key(r.tenant.pk, r.user.pk),  # type: ignore[attr-defined]
    value_key=lambda r: unread_value_key(r.tenant.pk, r.user.pk),  # type: ignore[attr-defined]
    compute=_compute,
    ttl=UNREAD_TTL,
)


def notifications(request: HttpRequest) -> dict[str, Any]:
    if not _applies(request):
        return {"unread_notifications": 0}
    return {"unread_notifications": nav_badges(request).get("notifications", 0)}
