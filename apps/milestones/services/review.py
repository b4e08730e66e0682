"""The 90-day review and the first joint business plan: the last two milestones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.milestones import verbs
from apps.milestones.models import BusinessPlan, BusinessPlanItem, PlanItemOwner, QbrCadence
from apps.milestones.services.events import (
    EventResult,
    _require_staff,
    milestone_event_record,
)
from apps.milestones.services.setup import MilestoneError

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.partners.models import PartnerAccount
    from apps.tenancy.models import Tenant

QBR_CADENCES = dict(QbrCadence.choices)


@dataclass(frozen=True)
class PlanItem:
    description: str
    owner: str
    due_on: date


def _moment(day: date) -> datetime:
    """A past day as a moment: now if it is today, else midday."""
    today = timezone.localdate()
    if day > today:
        raise MilestoneError("That date is in the future.")
    if day == today:
        return timezone.now()
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


@transaction.atomic
def review_record(
    *,
    tenant: Tenant,
    actor: User,
    account: PartnerAccount,
    held_on: date,
    notes: str,
    scorecard_reviewed: bool,
    attendees: str = "",
) -> EventResult:
    """The CAM held the 90-day onboarding review with the partner's leadership."""
    _require_staff(tenant=tenant, actor=actor)
    notes = notes.strip()
    if not notes:
        raise MilestoneError("Write down what you reviewed and agreed.")
    result = milestone_event_record(
        tenant=tenant,
        account_id=account.pk,
        type=verbs.REVIEW_HELD_EVENT,
        source="console",
        actor=actor,
        occurred_at=_moment(held_on),
        reference="90-day",
        data={
            "label": "90-day onboarding review held",
            "note": notes,
            "attendees": attendees.strip(),
            "scorecard_reviewed": bool(scorecard_reviewed),
        },
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.REVIEW_RECORDED,
        target=account,
        partner_id=account.pk,
        data={"held_on": held_on.isoformat()},
    )
    return result


@transaction.atomic
def business_plan_document(
    *,
    tenant: Tenant,
    actor: User,
    account: PartnerAccount,
    revenue_target: str,
    items: list[PlanItem],
    certification_goals: str = "",
    marketing_commitments: str = "",
    qbr_cadence: str = "",
    notes: str = "",
) -> BusinessPlan:
    """Document the partner's first joint business plan: targets and mutual action items
    with due dates. Completes the "first joint business plan" milestone."""
    _require_staff(tenant=tenant, actor=actor)
    if not revenue_target.strip():
        raise MilestoneError("Set a revenue target for the next 90 days.")
    if not items:
        raise MilestoneError("Add at least one action item with its due date.")
    if qbr_cadence and qbr_cadence not in QBR_CADENCES:
        raise MilestoneError("Choose a review cadence.")
    if any(item.owner not in PlanItemOwner.values for item in items):
        raise MilestoneError("Choose who owns each action item.")
    plan = BusinessPlan.objects.create(
        tenant=tenant,
        account=account,
        revenue_target=revenue_target.strip(),
        certification_goals=certification_goals.strip(),
        marketing_commitments=marketing_commitments.strip(),
        qbr_cadence=qbr_cadence,
        notes=notes.strip(),
        created_by=actor,
    )
    BusinessPlanItem.objects.bulk_create(
        BusinessPlanItem(
            tenant=tenant,
            plan=plan,
            description=item.description.strip(),
            owner=item.owner,
            due_on=item.due_on,
            position=i,
        )
        for i, item in enumerate(items)
    )
    milestone_event_record(
        tenant=tenant,
        account_id=account.pk,
        type=verbs.PLAN_DOCUMENTED_EVENT,
        source="console",
        actor=actor,
        reference=f"plan:{plan.pk}",
        data={"label": "First joint business plan documented", "items": len(items)},
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PLAN_DOCUMENTED,
        target=account,
        partner_id=account.pk,
        data={"revenue_target": plan.revenue_target, "items": len(items)},
    )
    return plan
