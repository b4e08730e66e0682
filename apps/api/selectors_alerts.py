"""Reads of the API's alerts resource: every alert of the program (an API key sees them all,
as a program admin does), filtered. Every read takes `tenant=` and filters on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from apps.milestones.models import Alert

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


def api_alerts(
    *,
    tenant: Tenant,
    partner_id: int | None = None,
    status: str | None = None,
    milestone: str | None = None,
) -> QuerySet[Alert]:
    """The program's alerts, optionally of one partner, in one status, of one milestone (by
    key, across tracks), with what an item shows (unordered: the page orders it)."""
    rows = Alert.objects.filter(tenant=tenant)
    if partner_id is not None:
        rows = rows.filter(account_id=partner_id)
    if status:
        rows = rows.filter(status=status)
    if milestone:
        rows = rows.filter(rule__milestone__key=milestone)
    return rows.select_related("rule", "rule__milestone")


def api_alert_get(*, tenant: Tenant, alert_id: int) -> Alert | None:
    return (
        Alert.objects.filter(tenant=tenant, pk=alert_id)
        .select_related("rule", "rule__milestone")
        .first()
    )
