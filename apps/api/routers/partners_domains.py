"""`/api/v1/partners/{partner_id}/domains`: a partner account's email domains, on the
partners router (apps/api/routers/partners.py). Adding and removing one is the console's
edit of the account (`partner_account_update`: free-mail domains and domains of another
account refused, audited with the domains before and after), with the key as the actor."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Status

from apps.api.auth import scoped
from apps.api.errors import ErrorOut
from apps.api.routers.partners import (
    MAX_ID,
    ONE_ERRORS,
    READ,
    WRITE,
    conflict,
    domains_of,
    not_found,
    partner_or_404,
    router,
    update,
)
from apps.api.schemas.partners import DomainIn, DomainList, DomainOut
from apps.partners.models import PartnerAccount, PartnerDomain
from apps.tenancy.http import TenantRequest


def _domain_rows(request: TenantRequest, account: PartnerAccount) -> list[dict]:
    return [
        {"id": pk, "domain": domain}
        for pk, domain in PartnerDomain.objects.filter(tenant=request.tenant, account=account)
        .order_by("domain")
        .values_list("pk", "domain")
    ]


@router.get(
    "/{partner_id}/domains",
    auth=scoped(READ),
    response={200: DomainList, **ONE_ERRORS},
    summary="List a partner's domains",
    description="The partner's email domains (at most 50 through the API and the console).",
    operation_id="partner_domains_list",
)
def partner_domains_list(request: TenantRequest, partner_id: int) -> Any:
    return {"data": _domain_rows(request, partner_or_404(request, partner_id))}


@router.post(
    "/{partner_id}/domains",
    auth=scoped(WRITE),
    response={201: DomainOut, **ONE_ERRORS, 409: ErrorOut},
    summary="Add a domain to a partner",
    description="409 for a free email provider's domain (gmail.com, …), a domain of another "
    "partner account, one the partner has already, or a 51st domain.",
    operation_id="partner_domain_add",
)
def partner_domain_add(request: TenantRequest, partner_id: int, payload: DomainIn) -> Any:
    account = partner_or_404(request, partner_id)
    domain = payload.domain.strip().lower().lstrip("@").rstrip(".")
    current = domains_of(request, account)
    if domain in current:
        raise conflict(_("%(domain)s is already one of its domains.") % {"domain": domain})
    if len(current) >= 50:
        raise conflict(_("At most 50 domains per account."))
    update(request, account, domains=[*current, domain])
    row = PartnerDomain.objects.get(tenant=request.tenant, account=account, domain=domain)
    return Status(201, {"id": row.pk, "domain": row.domain})


@router.delete(
    "/{partner_id}/domains/{domain_id}",
    auth=scoped(WRITE),
    response={204: None, **ONE_ERRORS, 409: ErrorOut},
    summary="Remove a domain from a partner",
    description="404 for a domain of another partner.",
    operation_id="partner_domain_delete",
)
def partner_domain_delete(request: TenantRequest, partner_id: int, domain_id: int) -> Any:
    account = partner_or_404(request, partner_id)
    row = (
        PartnerDomain.objects.filter(tenant=request.tenant, account=account, pk=domain_id).first()
        if 1 <= domain_id <= MAX_ID
        else None
    )
    if row is None:
        raise not_found(_("No domain with that id on this partner."))
    current = domains_of(request, account)
    update(request, account, domains=[d for d in current if d != row.domain])
    return Status(204, None)
