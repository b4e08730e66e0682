"""Tenancy primitives. Layer 1: callers in higher layers write the audit events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from apps.tenancy.models import Membership, Role, Tenant, TenantHost

if TYPE_CHECKING:
    from apps.accounts.models import User


@transaction.atomic
def tenant_create(*, slug: str, name: str, hostnames: list[str], **fields: Any) -> Tenant:
    tenant = Tenant.objects.create(slug=slug, name=name, **fields)
    for i, hostname in enumerate(hostnames):
        TenantHost.objects.create(tenant=tenant, hostname=hostname.lower(), is_primary=(i == 0))
    return tenant


@transaction.atomic
def membership_grant(
    *, tenant: Tenant, user: User, role: Role | str
) -> tuple[Membership, str | None]:
    """Give `user` the role in `tenant`, creating or changing its one membership.

    Returns the membership and the previous role ("" when it is new, None when unchanged).
    """
    membership = (
        Membership.objects.select_for_update(of=("self",)).filter(tenant=tenant, user=user).first()
    )
    if membership is None:
        return Membership.objects.create(tenant=tenant, user=user, role=role), ""
    if membership.role == role and membership.is_active:
        return membership, None
    previous = membership.role
    membership.role = role
    membership.is_active = True
    membership.save(update_fields=["role", "is_active"])
    return membership, previous


@transaction.atomic
def memberships_create_many(
    *, tenant: Tenant, roles: dict[int, Role | str]
) -> dict[int, Membership]:
    """Set-based first memberships (a CSV import): `roles` maps user id -> role, for users
    with no membership in `tenant` yet (the unique constraint refuses any other). One INSERT.
    """
    created = Membership.objects.bulk_create(
        [Membership(tenant=tenant, user_id=user_id, role=role) for user_id, role in roles.items()],
        batch_size=2000,
    )
    return {m.user_id: m for m in created}
