"""Reads of the API app: keys, their request log, and the lookups of the events endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import F, QuerySet

from apps.api.models import ApiKey, ApiRequestLog
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerEvent
from apps.partners.selectors import partner_users_of
from apps.tenancy.models import Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User


def api_keys_for(*, tenant: Tenant) -> QuerySet[ApiKey]:
    return (
        ApiKey.objects.filter(tenant=tenant)
        .select_related("created_by", "revoked_by")
        .order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id")
    )


def api_request_log_for(*, tenant: Tenant, key: ApiKey) -> QuerySet[ApiRequestLog]:
    """The key's requests, newest first (index api_log_key_created)."""
    return ApiRequestLog.objects.filter(tenant=tenant, key=key).order_by("-created_at", "-id")


def event_partner_find(
    *, tenant: Tenant, partner_id: int | None = None, domain: str | None = None
) -> PartnerAccount | None:
    """The partner of `tenant` with that id, or owning that email domain."""
    if partner_id is not None:
        return PartnerAccount.objects.filter(tenant=tenant, pk=partner_id).first()
    row = (
        PartnerDomain.objects.filter(tenant=tenant, domain=domain).select_related("account").first()
    )
    return row.account if row else None


def event_user_find(*, tenant: Tenant, account: PartnerAccount, email: str) -> User | None:
    """The active user of the partner account with that email, or None."""
    link = (
        partner_users_of(tenant=tenant, account=account)
        .filter(
            membership__is_active=True,
            membership__user__is_active=True,
            membership__user__email__iexact=email,
        )
        .first()
    )
    return link.membership.user if link else None


def events_for(
    *,
    tenant: Tenant,
    partner_id: int | None = None,
    type: str | None = None,
    since: datetime | None = None,
) -> QuerySet[PartnerEvent]:
    """The program's partner events, filtered; unordered (the caller pages them)."""
    events = PartnerEvent.objects.filter(tenant=tenant).select_related("recorded_by")
    if partner_id is not None:
        events = events.filter(account_id=partner_id)
    if type:
        events = events.filter(type=type)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    return events
