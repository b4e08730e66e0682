"""Reads of the 90-day onboarding review: everything the review is about, prepared from day 75."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch
from django.utils import timezone

from apps.milestones import verbs
from apps.milestones.models import Alert, BusinessPlan, BusinessPlanItem, CompletionKind, Phase
from apps.milestones.selectors.timeline import MilestoneRow, partner_milestone_timeline
from apps.partners.models import PartnerAccount, PartnerEvent
from apps.partners.selectors import partner_users_of

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant


def _percent(done: int, total: int) -> int:
    return 100 * done // total if total else 0


@dataclass
class UserShare:
    """The share of the orientation items one partner user did themselves."""

    user: User
    role: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return _percent(self.done, self.total)


@dataclass
class OrientationShares:
    """Orientation completion of the account and of each of its active partner users.

    The items are the milestone's `items` and the live actions of its `stage` (`action:<id>`);
    an event of one of its types with the item as reference marks it done, for the account
    and for the user who recorded it (`recorded_by`). Done by a channel manager or by an
    external system without a user, an item counts for the account only."""

    row: MilestoneRow
    total: int
    done: int
    users: list[UserShare] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return _percent(self.done, self.total)


def _orientation_row(rows: list[MilestoneRow]) -> MilestoneRow | None:
    shares = [r for r in rows if r.milestone.completion == CompletionKind.SHARE]
    for row in shares:
        if row.milestone.key == "orientation":
            return row
    in_phase = [r for r in shares if r.milestone.phase == Phase.ORIENTATION]
    candidates = in_phase or shares
    return candidates[0] if candidates else None


def orientation_shares(
    *, tenant: Tenant, account: PartnerAccount, rows: list[MilestoneRow]
) -> OrientationShares | None:
    """The orientation (SHARE) milestone's completion per user and for the account. None when
    the track has no such milestone. At most three queries."""
    from apps.onboarding.selectors import live_action_ids_by_stage

    row = _orientation_row(rows)
    if row is None:
        return None
    milestone = row.milestone
    items = list(dict.fromkeys(milestone.items))
    if milestone.stage_id is not None:
        actions = live_action_ids_by_stage(tenant=tenant, stage_ids=[milestone.stage_id])
        items += [f"action:{a}" for a in actions[milestone.stage_id] if f"action:{a}" not in items]
    if not items:
        return OrientationShares(row=row, total=0, done=0)
    done_by: dict[int | None, set[str]] = {}
    for user_id, reference in (
        PartnerEvent.objects.filter(
            tenant=tenant,
            account=account,
            type__in=milestone.event_types,
            reference__in=items,
        )
        .values_list("recorded_by_id", "reference")
        .distinct()
    ):
        done_by.setdefault(user_id, set()).add(reference)
    done = set().union(*done_by.values()) if done_by else set()
    users = [
        UserShare(
            user=link.membership.user,
            role=link.membership.get_role_display(),
            done=len(done_by.get(link.membership.user_id, ())),
            total=len(items),
        )
        for link in partner_users_of(tenant=tenant, account=account).filter(
            membership__is_active=True, membership__user__is_active=True
        )
    ]
    return OrientationShares(row=row, total=len(items), done=len(done), users=users)


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
        "orientation_shares": orientation_shares(
            tenant=tenant, account=account, rows=timeline["rows"]
        ),
        "review": reviews[0] if reviews else None,
        "plan": plan,
        "alerts": open_alerts,
    }
