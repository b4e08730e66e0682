"""Reads of the API's applications resource. Every read takes `tenant=` and filters on it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apps.applications.models import Application
from apps.partners.models import PartnerType

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


def api_applications(
    *, tenant: Tenant, status: str | None = None, since: datetime | None = None
) -> QuerySet[Application]:
    """The program's applications, optionally in one status and submitted at or after
    `since`, with what a list item shows (unordered: the page orders it)."""
    rows = Application.objects.filter(tenant=tenant)
    if status:
        rows = rows.filter(status=status)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.select_related("partner_type").defer("answers", "message", "confirm_token_hash")


def api_application_get(*, tenant: Tenant, application_id: int) -> Application | None:
    return (
        Application.objects.filter(tenant=tenant, pk=application_id)
        .select_related("partner_type")
        .first()
    )


def api_partner_type_get(*, tenant: Tenant, partner_type_id: int) -> PartnerType | None:
    return PartnerType.objects.filter(tenant=tenant, pk=partner_type_id).first()
