"""Reads of the 90-day onboarding review: everything the review is about, prepared from day 75."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch
from django.utils import timezone

from apps.milestones import verbs
from apps.milestones.models import Alert, BusinessPlan, BusinessPlanItem
from apps.milestones.selectors.timeline import partner_milestone_timeline
from apps.partners.models import PartnerAccount, PartnerEvent

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


def review_package(
    *, tenant: Tenant, account: PartnerAccount, now: datetime | None = None
) -> dict[str, Any] | None:
    """Everything the 90-day onboarding review is about, prepared from day 75."""
    from apps.onboarding.selectors import enrollment_counts, enrollment_for_partner

    now = now or timezone.now()
    timeline = partner_milestone_timeline(tenant=tenant, account=account, now=now)
    if timeline is None:
        return None
    enrolled_at = timeline["partner_track"].enrolled_at
    events = PartnerEvent.objects.filter(tenant=tenant, account=account).select_related(
        "recorded_by"
    )
    certifications = list(
        events.filter(type__startswith=verbs.CERTIFICATION_PREFIX).order_by("occurred_at")
    )
    deals = list(events.filter(type=verbs.DEAL_REGISTERED_EVENT).order_by("occurred_at", "id"))
    first_deal = deals[0] if deals else None
    enrollment = enrollment_for_partner(tenant=tenant, partner_account_id=account.pk)
    reviews = list(events.filter(type=verbs.REVIEW_HELD_EVENT).order_by("-occurred_at")[:1])
    plan = (
        BusinessPlan.objects.filter(tenant=tenant, account=account)
        .select_related("created_by")
        .prefetch_related(
            Prefetch("items", queryset=BusinessPlanItem.objects.filter(tenant=tenant))
        )
        .first()
    )
    open_alerts = list(
        Alert.objects.filter(tenant=tenant, account=account, resolved_at__isnull=True)
        .select_related("rule", "rule__milestone")
        .order_by("due_at", "id")
    )
    ready_at = timeline["review_ready_at"]
    return {
        **timeline,
        "ready": now >= ready_at,
        "ready_at": ready_at,
        "certifications": certifications,
        "certified": [e for e in certifications if e.type == verbs.CERTIFICATION_PASSED_EVENT],
        "deals": deals,
        "first_deal": first_deal,
        "days_to_first_deal": (first_deal.occurred_at - enrolled_at).days if first_deal else None,
        "enrollment": enrollment,
        "orientation": enrollment_counts(tenant=tenant, enrollment=enrollment)
        if enrollment
        else None,
        "orientation_row": next(
            (r for r in timeline["rows"] if r.milestone.key == "orientation"), None
        ),
        "review": reviews[0] if reviews else None,
        "plan": plan,
        "alerts": open_alerts,
    }
