"""Reads of a partner's deals: its `deal.*` events grouped by deal reference (DOMAIN §5).

A deal is the reference its events share (the deal's id in the deal desk, or the one a CAM
typed in the activity form). Its stage is the type of its latest event; it is "in submission"
while nothing but its registration was recorded for it. "Stalled in submission" is the
track's stalled rule ("Deal stalled in submission at day 75") as the sweep evaluates it: a
deal registered by the rule's day with none of the rule's later events, once that day has
come. A track without such a rule flags every deal still in submission as "no update since
registration".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.milestones import verbs
from apps.milestones.models import AlertRule, PartnerTrack, RuleCondition
from apps.partners.models import PartnerAccount, PartnerEvent

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from apps.accounts.models import User
    from apps.tenancy.models import Tenant

# The stage of a deal: the type of its latest event.
DEAL_STAGES: dict[str, tuple[str, _StrPromise]] = {
    verbs.DEAL_REGISTERED_EVENT: ("submitted", _("Submitted")),
    verbs.DEAL_APPROVED_EVENT: ("approved", _("Approved")),
    verbs.DEAL_REJECTED_EVENT: ("rejected", _("Rejected")),
    verbs.DEAL_PROGRESSED_EVENT: ("progressed", _("Progressed")),
}
# What ends a deal's submission when the track names no stalled rule.
_DEFAULT_LATER = (
    verbs.DEAL_APPROVED_EVENT,
    verbs.DEAL_REJECTED_EVENT,
    verbs.DEAL_PROGRESSED_EVENT,
)
_NAME_KEYS = ("name", "deal_name")


@dataclass
class Deal:
    reference: str
    stage: str  # submitted | approved | rejected | progressed | another suffix of `deal.`
    stage_label: str
    last_event_at: datetime
    registered_at: datetime | None = None
    registered_by: User | None = None
    registered_source: str = ""
    name: str = ""
    customer: str = ""
    amount: Any = None
    currency: str = ""
    events: int = 0
    in_submission: bool = False  # registered, nothing since
    stalled: bool = False  # in submission when the track's stalled rule fell due (if any)
    no_update_days: int | None = None  # days in submission, when in submission
    _later: bool = field(default=False, repr=False)


def _stalled_rule(*, tenant: Tenant, account: PartnerAccount) -> tuple[datetime, list[str]] | None:
    """When the partner's stalled-deal rule falls due, and the events that end a submission.
    One query."""
    tracks = PartnerTrack.objects.filter(tenant=tenant, account=account)
    rule = (
        AlertRule.objects.filter(
            tenant=tenant,
            active=True,
            condition=RuleCondition.STALLED,
            milestone__track_id=Subquery(tracks.values("track_id")[:1]),
            milestone__event_types__contains=[verbs.DEAL_REGISTERED_EVENT],
        )
        .annotate(track_enrolled_at=Subquery(tracks.values("enrolled_at")[:1]))
        .order_by("day", "id")
        .values("day", "event_types", "track_enrolled_at")
        .first()
    )
    if rule is None or rule["track_enrolled_at"] is None:
        return None
    due_at: datetime = rule["track_enrolled_at"] + timedelta(days=rule["day"])
    return due_at, list(rule["event_types"]) or list(_DEFAULT_LATER)


def partner_deals(
    *, tenant: Tenant, account: PartnerAccount, now: datetime | None = None
) -> list[Deal]:
    """The partner's deals, most recently active first. Two queries, whatever the number of
    deals or events. Events without a reference each make a deal of their own."""
    now = now or timezone.now()
    events = list(
        PartnerEvent.objects.filter(
            tenant=tenant, account=account, type__startswith=verbs.DEAL_PREFIX
        )
        .select_related("recorded_by")
        .order_by("occurred_at", "id")
    )
    if not events:
        return []
    rule = _stalled_rule(tenant=tenant, account=account)
    later_types = rule[1] if rule else list(_DEFAULT_LATER)
    deals: dict[str, Deal] = {}
    for event in events:
        key = event.reference or f"#{event.pk}"
        stage, label = DEAL_STAGES.get(event.type, (event.type.removeprefix(verbs.DEAL_PREFIX), ""))
        deal = deals.get(key)
        if deal is None:
            deal = deals[key] = Deal(
                reference=event.reference,
                stage=stage,
                stage_label="",
                last_event_at=event.occurred_at,
            )
        deal.events += 1
        deal.stage = stage
        deal.stage_label = str(label) if label else stage.replace("_", " ").capitalize()
        deal.last_event_at = event.occurred_at
        if event.type == verbs.DEAL_REGISTERED_EVENT:
            if deal.registered_at is None:
                deal.registered_at = event.occurred_at
                deal.registered_by = event.recorded_by
                deal.registered_source = event.source
            deal._later = False
        elif event.type in later_types and deal.registered_at is not None:
            deal._later = True
        data = event.data if isinstance(event.data, dict) else {}
        for name_key in _NAME_KEYS:
            if isinstance(data.get(name_key), str) and data[name_key].strip():
                deal.name = data[name_key].strip()[:200]
        if isinstance(data.get("customer"), str) and data["customer"].strip():
            deal.customer = data["customer"].strip()[:200]
        if data.get("amount") not in (None, ""):
            deal.amount = data["amount"]
            deal.currency = str(data.get("currency") or deal.currency)
    for deal in deals.values():
        registered_at = deal.registered_at
        deal.in_submission = registered_at is not None and not deal._later
        if deal.in_submission and registered_at is not None:
            deal.no_update_days = max(0, (now - registered_at).days)
            # Without a stalled rule the template says "no update since registration".
            deal.stalled = rule is not None and registered_at <= rule[0] <= now
    return sorted(deals.values(), key=lambda d: d.last_event_at, reverse=True)
