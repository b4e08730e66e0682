"""Reads of a partner account's users, for the portal's team page and the console's
partner page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apps.partners.models import PartnerAccount, PartnerUser
from apps.tenancy.models import Role

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


def team_members(*, tenant: Tenant, account: PartnerAccount) -> QuerySet[PartnerUser]:
    """The account's users, active first, then by name (one query)."""
    return (
        PartnerUser.objects.filter(tenant=tenant, account=account)
        .select_related("membership__user")
        .order_by(
            "-membership__is_active",
            "membership__user__first_name",
            "membership__user__last_name",
            "membership__user__email",
        )
    )


def team_member_exists(*, tenant: Tenant, account: PartnerAccount, member_id: int) -> bool:
    """Whether `member_id` (a PartnerUser id) is one of the account's users."""
    return PartnerUser.objects.filter(tenant=tenant, account=account, pk=member_id).exists()


def team_has_active_admin(*, tenant: Tenant, account: PartnerAccount) -> bool:
    return PartnerUser.objects.filter(
        tenant=tenant,
        account=account,
        membership__role=Role.PARTNER_ADMIN,
        membership__is_active=True,
    ).exists()


@dataclass(frozen=True)
class TeamRow:
    """One user of the account as the console's Users card shows them."""

    member: PartnerUser
    pending: bool  # invited, has not set a password yet
    last_admin: bool  # the account's only active partner admin


def team_rows(members: Iterable[PartnerUser]) -> list[TeamRow]:
    """Rows for the account's users (read with their membership and user, e.g. by
    `team_members` or `partner_users_of`), active first, then by name. No query."""
    members = list(members)
    active_admins = sum(
        1 for m in members if m.membership.is_active and m.membership.role == Role.PARTNER_ADMIN
    )

    def order(m: PartnerUser) -> tuple[bool, str, str]:
        user = m.membership.user
        return (not m.membership.is_active, user.get_full_name().lower(), user.email)

    return [
        TeamRow(
            member=m,
            pending=not m.membership.user.has_usable_password(),
            last_admin=(
                m.membership.is_active
                and m.membership.role == Role.PARTNER_ADMIN
                and active_admins == 1
            ),
        )
        for m in sorted(members, key=order)
    ]
