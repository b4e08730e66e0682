"""Reads of the console home's milestone figures: a CAM's overdue milestones, open alerts,
dark partners and the partners most at risk."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Min
from django.utils import timezone

from apps.milestones.models import Alert, AlertStatus, PartnerMilestone
from apps.milestones.selectors.alerts import not_snoozed
from apps.partners.models import PartnerAccount, PartnerStatus

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant


def cam_milestone_overview(
    *, tenant: Tenant, user: User, limit: int = 5, now: datetime | None = None
) -> dict[str, Any]:
    """The CAM's overdue milestones, open alerts, dark partners and the partners most at risk
    (dark first, then most overdue milestones, then the longest overdue). Four queries."""
    now = now or timezone.now()
    overdue_by_partner: dict[int, Mapping[str, Any]] = {
        row["account_id"]: row
        for row in PartnerMilestone.objects.filter(
            tenant=tenant,
            completed_at__isnull=True,
            due_at__lte=now,
            account__cam=user,
            account__status=PartnerStatus.ACTIVE,
        )
        .values("account_id")
        .annotate(overdue=Count("id"), oldest=Min("due_at"))
    }
    dark = set(
        PartnerAccount.objects.filter(
            tenant=tenant, cam=user, status=PartnerStatus.ACTIVE, dark_since__isnull=False
        ).values_list("id", flat=True)
    )
    ranked = sorted(
        set(overdue_by_partner) | dark,
        key=lambda pk: (
            pk not in dark,
            -overdue_by_partner.get(pk, {}).get("overdue", 0),
            overdue_by_partner.get(pk, {}).get("oldest") or now,
            pk,
        ),
    )[:limit]
    accounts = PartnerAccount.objects.filter(tenant=tenant, pk__in=ranked).select_related(
        "partner_type"
    )
    by_id = {a.pk: a for a in accounts}
    worst: dict[int, PartnerMilestone] = {}
    if ranked:
        for item in (
            PartnerMilestone.objects.filter(
                tenant=tenant, account_id__in=ranked, completed_at__isnull=True, due_at__lte=now
            )
            .select_related("milestone")
            .order_by("account_id", "due_at", "id")
            .distinct("account_id")
        ):
            worst[item.account_id] = item
    at_risk = [
        {
            "partner": by_id[pk],
            "overdue": overdue_by_partner.get(pk, {}).get("overdue", 0),
            "dark": pk in dark,
            "worst": worst.get(pk),
        }
        for pk in ranked
        if pk in by_id
    ]
    return {
        "overdue": sum(row["overdue"] for row in overdue_by_partner.values()),
        "partners_overdue": len(overdue_by_partner),
        "dark": len(dark),
        "open_alerts": Alert.objects.filter(
            tenant=tenant, status=AlertStatus.OPEN, account__cam=user
        )
        .filter(not_snoozed(timezone.localdate(now)))
        .count(),
        "at_risk": at_risk,
    }
