"""Reads of a partner's milestones: the timeline by phase, with each milestone's state, alert
rules and unresolved alerts, and the partner's recent events."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.utils import timezone

from apps.milestones import verbs
from apps.milestones.models import (
    Alert,
    AlertRule,
    CompletionKind,
    Milestone,
    PartnerMilestone,
    PartnerTrack,
    Phase,
    Track,
)
from apps.partners.models import PartnerAccount, PartnerEvent

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

REVIEW_DAY = 75


# Milestones measured by a percentage (`PartnerMilestone.progress`, kept by the sweep).
MEASURED = frozenset({CompletionKind.SHARE, CompletionKind.ALL_EVENTS})


@dataclass
class MilestoneRow:
    item: PartnerMilestone
    milestone: Milestone
    state: str  # done | overdue | current | upcoming
    for_activation: bool
    rules: list[AlertRule] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        """Completed by a percentage: the tab shows a progress bar."""
        return self.milestone.completion in MEASURED

    @property
    def items_chosen(self) -> bool:
        """False for a SHARE milestone with nothing to measure (no items, no stage)."""
        milestone = self.milestone
        if milestone.completion != CompletionKind.SHARE:
            return True
        return bool(milestone.items) or milestone.stage_id is not None

    @property
    def is_review(self) -> bool:
        """The 90-day review milestone: held on `review.held`, or alerted when no review is
        scheduled."""
        return verbs.REVIEW_HELD_EVENT in self.milestone.event_types or any(
            verbs.REVIEW_SCHEDULED_EVENT in rule.event_types for rule in self.rules
        )


@dataclass
class ReviewSchedule:
    """The latest `review.scheduled` event: the review's date when the event gives one."""

    event: PartnerEvent
    review_on: date | None


def review_schedule_of(event: PartnerEvent | None) -> ReviewSchedule | None:
    if event is None:
        return None
    data = event.data if isinstance(event.data, dict) else {}
    try:
        review_on = date.fromisoformat(str(data.get("review_on") or ""))
    except ValueError:
        review_on = None
    return ReviewSchedule(event=event, review_on=review_on)


def _state(item: PartnerMilestone, now: datetime) -> str:
    if item.completed_at is not None:
        return "done"
    if item.due_at <= now:
        return "overdue"
    if item.starts_at <= now:
        return "current"
    return "upcoming"


def partner_track_for(*, tenant: Tenant, account_id: int) -> PartnerTrack | None:
    return (
        PartnerTrack.objects.filter(tenant=tenant, account_id=account_id)
        .select_related("track", "track__partner_type")
        .first()
    )


class PhaseRows(TypedDict):
    number: int
    label: str
    rows: list[MilestoneRow]


class MilestoneTimeline(TypedDict):
    partner_track: PartnerTrack
    track: Track
    phases: list[PhaseRows]
    rows: list[MilestoneRow]
    done: int
    total: int
    overdue: int
    percent: int
    day: int
    window: int
    window_percent: int
    activation_rows: list[MilestoneRow]
    open_alerts: int
    review_ready_at: datetime
    review_schedule: ReviewSchedule | None


def partner_milestone_timeline(
    *, tenant: Tenant, account: PartnerAccount, now: datetime | None = None
) -> MilestoneTimeline | None:
    """The partner's milestones by phase, with state, alert rules and unresolved alerts.
    None when the partner has no milestone tracking. A constant number of queries."""
    now = now or timezone.now()
    partner_track = partner_track_for(tenant=tenant, account_id=account.pk)
    if partner_track is None:
        return None
    items = list(
        PartnerMilestone.objects.filter(tenant=tenant, partner_track=partner_track)
        .select_related("milestone", "completed_by", "completion_event")
        .order_by("milestone__phase", "due_at", "milestone__position", "id")
    )
    rules: dict[int, list[AlertRule]] = defaultdict(list)
    for rule in AlertRule.objects.filter(
        tenant=tenant, milestone_id__in=[i.milestone_id for i in items], active=True
    ).order_by("day", "id"):
        rules[rule.milestone_id].append(rule)
    alerts: dict[int, list[Alert]] = defaultdict(list)
    for alert in (
        Alert.objects.filter(tenant=tenant, account=account, resolved_at__isnull=True)
        .select_related("rule")
        .order_by("due_at", "id")
    ):
        alerts[alert.partner_milestone_id].append(alert)
    rows = [
        MilestoneRow(
            item=item,
            milestone=item.milestone,
            state=_state(item, now),
            for_activation=item.milestone.counts_for_activation,
            rules=rules[item.milestone_id],
            alerts=alerts[item.pk],
        )
        for item in items
    ]
    phases: list[PhaseRows] = []
    for phase in Phase:
        in_phase = [r for r in rows if r.milestone.phase == phase]
        if in_phase:
            phases.append({"number": int(phase), "label": phase.label, "rows": in_phase})
    day = max(0, (now - partner_track.enrolled_at).days)
    window = partner_track.track.activation_window_days
    return {
        "partner_track": partner_track,
        "track": partner_track.track,
        "phases": phases,
        "rows": rows,
        "done": sum(1 for r in rows if r.state == "done"),
        "total": len(rows),
        "overdue": sum(1 for r in rows if r.state == "overdue"),
        "percent": round(100 * sum(1 for r in rows if r.state == "done") / len(rows))
        if rows
        else 0,
        "day": day,
        "window": window,
        "window_percent": min(100, round(100 * day / window)) if window else 100,
        "activation_rows": [r for r in rows if r.for_activation],
        "open_alerts": sum(len(r.alerts) for r in rows),
        "review_ready_at": partner_track.enrolled_at + timedelta(days=REVIEW_DAY),
        "review_schedule": review_schedule_of(
            PartnerEvent.objects.filter(
                tenant=tenant, account=account, type=verbs.REVIEW_SCHEDULED_EVENT
            )
            .select_related("recorded_by")
            .order_by("-occurred_at", "-id")
            .first()
        ),
    }


def partner_events_recent(
    *, tenant: Tenant, account: PartnerAccount, limit: int = 12
) -> list[PartnerEvent]:
    return list(
        PartnerEvent.objects.filter(tenant=tenant, account=account)
        .select_related("recorded_by")
        .order_by("-occurred_at", "-id")[:limit]
    )
