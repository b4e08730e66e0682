"""Recording partner events that milestones react to at once (API, console)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from apps.audit.services import audit_record
from apps.milestones import verbs
from apps.milestones.alert_badge import alerts_changed
from apps.milestones.models import Milestone, PartnerMilestone
from apps.milestones.services import statements
from apps.milestones.services.setup import MilestoneError
from apps.partners.models import PartnerAccount, PartnerEvent
from apps.partners.selectors import partner_event_rows_all_tenants
from apps.partners.services import partner_event_record
from apps.tenancy.models import STAFF_ROLES, Membership, Tenant

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from apps.accounts.models import User

# What a CAM can log on the partner's Milestones tab: key -> (event type, reference, label).
ACTIVITIES: dict[str, tuple[str, str, str | _StrPromise]] = {
    "welcome_call": (verbs.CALL_LOGGED_EVENT, "welcome", "Welcome call held"),
    "call": (verbs.CALL_LOGGED_EVENT, "", "Call with the partner"),
    "review_scheduled": (verbs.REVIEW_SCHEDULED_EVENT, "", "90-day review scheduled"),
    "review_held": (verbs.REVIEW_HELD_EVENT, "90-day", "90-day review held"),
    "profile_completed": (verbs.PROFILE_COMPLETED_EVENT, "", "Partner profile completed"),
    "sales_certification_attempted": (
        verbs.CERTIFICATION_ATTEMPTED_EVENT,
        "sales",
        "Sales certification attempted",
    ),
    "sales_certification_passed": (
        verbs.CERTIFICATION_PASSED_EVENT,
        "sales",
        "Sales certification passed",
    ),
    "technical_certification_attempted": (
        verbs.CERTIFICATION_ATTEMPTED_EVENT,
        "technical",
        "Technical certification attempted",
    ),
    "technical_certification_passed": (
        verbs.CERTIFICATION_PASSED_EVENT,
        "technical",
        "Technical certification passed",
    ),
    "deal_registered": (verbs.DEAL_REGISTERED_EVENT, "", "Deal registered"),
    "deal_approved": (verbs.DEAL_APPROVED_EVENT, "", _("Deal approved")),
    "deal_rejected": (verbs.DEAL_REJECTED_EVENT, "", _("Deal rejected")),
    "deal_progressed": (verbs.DEAL_PROGRESSED_EVENT, "", _("Deal progressed")),
    "mdf_requested": (verbs.MDF_REQUESTED_EVENT, "", "MDF request submitted"),
    "campaign_started": (verbs.CAMPAIGN_STARTED_EVENT, "", "Co-marketing campaign started"),
    "solution_design": (verbs.SOLUTION_DESIGN_HELD_EVENT, "", "Joint solution design session held"),
}
# Deal activities need the deal's reference (its id in the deal desk, or one the CAM keeps):
# the reference ties a deal's later events to its registration.
DEAL_ACTIVITIES = frozenset(k for k, v in ACTIVITIES.items() if v[0].startswith(verbs.DEAL_PREFIX))
# "90-day review scheduled" needs the review's date (today or later), kept as `review_on`.
REVIEW_DATE_ACTIVITIES = frozenset({"review_scheduled"})


@dataclass
class EventResult:
    event: PartnerEvent
    created: bool
    completed_milestone_ids: list[int] = field(default_factory=list)
    resolved_alert_ids: list[int] = field(default_factory=list)
    activated: bool = False


def _require_staff(*, tenant: Tenant, actor: User) -> None:
    if not Membership.objects.filter(
        tenant=tenant, user=actor, role__in=STAFF_ROLES, is_active=True
    ).exists():
        raise MilestoneError("Only channel managers can do this.")


@transaction.atomic
def milestone_event_record(
    *,
    tenant: Tenant,
    account_id: int,
    type: str,
    source: str,
    actor: User | None = None,
    occurred_at: datetime | None = None,
    reference: str = "",
    data: dict[str, Any] | None = None,
    idempotency_key: str = "",
) -> EventResult:
    """Append an event to the partner's log and apply it at once: the milestones it completes,
    the rules it satisfies, the alerts it resolves, the activation it brings.

    With an `idempotency_key`, the same key again returns the first event and changes nothing.
    """
    event, created = partner_event_record(
        tenant=tenant,
        account_id=account_id,
        type=type,
        source=source,
        occurred_at=occurred_at,
        reference=reference,
        data=data,
        idempotency_key=idempotency_key,
        actor=actor,
    )
    result = EventResult(event=event, created=created)
    if created:
        applied = statements.apply_events(
            events=partner_event_rows_all_tenants(event_ids=[event.pk]), now=timezone.now()
        )
        result.completed_milestone_ids = [row[3] for row in applied.completed]
        result.resolved_alert_ids = applied.resolved
        result.activated = bool(applied.activated)
        alerts_changed(tenant_ids=applied.resolved_tenants)
    return result


@transaction.atomic
def partner_activity_log(
    *,
    tenant: Tenant,
    actor: User,
    account: PartnerAccount,
    activity: str,
    occurred_at: datetime | None = None,
    note: str = "",
    deal_reference: str = "",
    review_on: date | None = None,
) -> EventResult:
    """A CAM logs something that happened with the partner (a call, a review scheduled…).

    Deal activities need the deal's `reference`; "90-day review scheduled" needs the
    review's date `review_on` (today or later), kept in the event's data."""
    _require_staff(tenant=tenant, actor=actor)
    if activity not in ACTIVITIES:
        raise MilestoneError("Choose what happened.")
    if occurred_at is not None and occurred_at > timezone.now():
        raise MilestoneError("That date is in the future.")
    type_, reference, label = ACTIVITIES[activity]
    text = str(label)
    data: dict[str, Any] = {}
    if activity in DEAL_ACTIVITIES:
        given = deal_reference.strip()
        if not given:
            raise MilestoneError(_g("Give the deal's reference."))
        if len(given) > 200:
            raise MilestoneError(_g("A deal reference has at most 200 characters."))
        reference = given
        text = f"{text}: {given}"
    if activity in REVIEW_DATE_ACTIVITIES:
        if review_on is None:
            raise MilestoneError(_g("Give the review's date."))
        if review_on < timezone.localdate():
            raise MilestoneError(_g("The review date is in the past."))
        data["review_on"] = review_on.isoformat()
        text = _g("90-day review scheduled for %(date)s") % {
            "date": date_format(review_on, "j M Y")
        }
    result = milestone_event_record(
        tenant=tenant,
        account_id=account.pk,
        type=type_,
        source="console",
        actor=actor,
        occurred_at=occurred_at,
        reference=reference,
        data={"label": text, **data, **({"note": note.strip()} if note.strip() else {})},
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.ACTIVITY_LOGGED,
        target=account,
        partner_id=account.pk,
        data={
            "activity": text,
            "type": type_,
            "note": note.strip()[:500],
            **({"reference": reference} if reference else {}),
            **data,
        },
    )
    return result


@transaction.atomic
def milestone_check_off(
    *,
    tenant: Tenant,
    actor: User,
    account: PartnerAccount,
    partner_milestone_id: int,
    note: str = "",
) -> EventResult:
    """A CAM marks one of the partner's milestones as done by hand."""
    _require_staff(tenant=tenant, actor=actor)
    row = (
        PartnerMilestone.objects.select_for_update()
        .filter(tenant=tenant, account=account, pk=partner_milestone_id)
        .first()
    )
    if row is None:
        raise MilestoneError("That milestone does not exist.")
    milestone = Milestone.objects.get(pk=row.milestone_id)
    if row.completed_at is not None:
        raise MilestoneError(f"“{milestone.name}” is already done.")
    result = milestone_event_record(
        tenant=tenant,
        account_id=account.pk,
        type=verbs.CHECKED_OFF_EVENT,
        source="console",
        actor=actor,
        reference=f"milestone:{milestone.key}",
        data={
            "label": f"Checked off: {milestone.name}",
            **({"note": note.strip()} if note.strip() else {}),
        },
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.CHECKED_OFF,
        target=account,
        partner_id=account.pk,
        data={"milestone": milestone.name, "note": note.strip()[:500]},
    )
    return result
