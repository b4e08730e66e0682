"""The partner directory the audit log names partners with (apps/audit/directory.py),
registered in PartnersConfig.ready."""

from __future__ import annotations

from collections.abc import Sequence

from apps.audit.directory import PartnerDirectory
from apps.partners.models import PartnerAccount
from apps.tenancy.models import Tenant


def partner_names_of(*, tenant: Tenant, ids: Sequence[int]) -> dict[int, str]:
    """`{id: name}` of these accounts of `tenant`, in one query."""
    return dict(
        PartnerAccount.objects.filter(tenant=tenant, pk__in=list(ids)).values_list("pk", "name")
    )


def partner_search_by_name(*, tenant: Tenant, query: str, limit: int) -> list[tuple[int, str]]:
    """Up to `limit` accounts of `tenant` whose name contains `query`, by name."""
    return list(
        PartnerAccount.objects.filter(tenant=tenant, name__icontains=query)
        .order_by("name", "pk")
        .values_list("pk", "name")[:limit]
    )


DIRECTORY = PartnerDirectory(names=partner_names_of, search=partner_search_by_name)
