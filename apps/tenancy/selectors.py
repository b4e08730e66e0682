from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django_scopes import scopes_disabled

from apps.tenancy.models import Membership, Tenant, TenantHost

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from apps.accounts.models import User


def tenant_for_host_all_tenants(*, hostname: str) -> Tenant | None:
    """The tenant served on `hostname`, or None. Platform code: looks across tenants."""
    host = hostname.split(":", 1)[0].strip().lower().rstrip(".")
    if not host:
        return None
    with scopes_disabled():
        row = TenantHost.objects.select_related("tenant").filter(hostname=host).first()
    return row.tenant if row else None


def membership_get(*, tenant: Tenant, user: User | AnonymousUser | None) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(tenant=tenant, user=user, is_active=True).first()


def tenant_absolute_url(*, tenant: Tenant, path: str) -> str:
    """`path` on the tenant's primary host, for links that leave the site (emails)."""
    with scopes_disabled():
        host = (
            TenantHost.objects.filter(tenant=tenant)
            .order_by("-is_primary", "id")
            .values_list("hostname", flat=True)
            .first()
        )
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{host}{port}{path}"
