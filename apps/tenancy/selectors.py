from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery
from django_scopes import scopes_disabled

from apps.tenancy.models import Membership, Role, Tenant, TenantHost

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
    return (
        Membership.objects.filter(tenant=tenant, user=user, is_active=True)
        .annotate(has_other_programs=_has_other_programs_all_tenants())
        .first()
    )


def _has_other_programs_all_tenants() -> Exists:
    """For a membership row: does its user have an active membership in another program?
    Lets the program switcher skip its query for the (usual) one-program user."""
    with scopes_disabled():
        others = Membership.objects.filter(user=OuterRef("user"), is_active=True).exclude(
            tenant=OuterRef("tenant")
        )
    return Exists(others)


def tenant_absolute_url(*, tenant: Tenant, path: str) -> str:
    """`path` on the tenant's primary host, for links that leave the site (emails)."""
    with scopes_disabled():
        host = (
            TenantHost.objects.filter(tenant=tenant)
            .order_by("-is_primary", "id")
            .values_list("hostname", flat=True)
            .first()
        )
    return _host_url(host=host, path=path)


def _host_url(*, host: str | None, path: str) -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{host}{port}{path}"


@dataclass(frozen=True)
class ProgramLink:
    """Another program the user belongs to, with the address of its primary host."""

    tenant_id: int
    name: str
    url: str


def memberships_of_user_all_tenants(
    *, user: User | AnonymousUser | None, exclude: Tenant | None = None
) -> list[ProgramLink]:
    """The programs where `user` has an active membership (but `exclude`), by name, each
    linking to its primary host (as `tenant_absolute_url`). One query. Platform code: looks
    across tenants."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    primary_host = (
        TenantHost.objects.filter(tenant=OuterRef("tenant"))
        .order_by("-is_primary", "id")
        .values("hostname")[:1]
    )
    with scopes_disabled():
        qs = Membership.objects.filter(user=user, is_active=True)
        if exclude is not None:
            qs = qs.exclude(tenant=exclude)
        rows = list(
            qs.annotate(host=Subquery(primary_host))
            .exclude(host=None)
            .order_by("tenant__name", "tenant_id")
            .values_list("tenant_id", "tenant__name", "host")
        )
    return [
        ProgramLink(tenant_id=tenant_id, name=name, url=_host_url(host=host, path="/"))
        for tenant_id, name, host in rows
    ]


def is_active_program_admin(*, tenant: Tenant, actor: Any) -> bool:
    """Whether `actor` (a user, anonymous or None) is an active program admin of `tenant`:
    the check every program-admin-only service makes before it raises its own error."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return Membership.objects.filter(
        tenant=tenant, user=actor, role=Role.PROGRAM_ADMIN, is_active=True
    ).exists()
