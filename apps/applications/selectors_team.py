"""Reads of the portal's team page: the users of one partner account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apps.partners.models import PartnerAccount, PartnerUser

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
