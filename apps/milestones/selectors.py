"""Reads of the milestones layer: the alert inbox, a partner's milestone timeline, the 90-day
review package and the console home's figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django_scopes import scopes_disabled

from apps.milestones.models import (
    Alert,
    AlertDigest,
    AlertRule,
    AlertStatus,
    BusinessPlan,
    BusinessPlanItem,
    Milestone,
    PartnerMilestone,
    PartnerTrack,
    Phase,
    Track,
    TrackMilestone,
)
from apps.partners.models import PartnerAccount, PartnerEvent, PartnerStatus
from apps.tenancy.models import Role

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Membership, Tenant

REVIEW_DAY = 75
AGES = {
    "week": ("Due in the last 7 days", 0, 7),
    "month": ("Due 7–30 days ago", 7, 30),
    "older": ("Due over 30 days ago", 30, None),
}
INBOX_STATUSES = {
    "open": "Open",
    "acknowledged": "Acknowledged",
    "snoozed": "Snoozed",
    "resolved": "Resolved",
    "all": "All",
}


# --- The alert inbox ---------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilters:
    status: str = "open"
    rule: int | None = None
    partner_type: int | None = None
    age: str = ""
    # Program admins see every alert; "mine" narrows to their own partners, a number to
    # that CAM's. Channel managers only ever see their own partners' alerts.
    cam: str = ""


def _is_admin(membership: Membership | None) -> bool:
    return membership is not None and membership.role == Role.PROGRAM_ADMIN


def alerts_visible_to(
    *, tenant: Tenant, user: User, membership: Membership | None
) -> QuerySet[Alert]:
    rows = Alert.objects.filter(tenant=tenant)
    if not _is_admin(membership):
        rows = rows.filter(account__cam=user)
    return rows


def _not_snoozed(today: date) -> Q:
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today)


def _status_q(status: str, today: date) -> Q:
    if status == "open":
        return Q(status=AlertStatus.OPEN) & _not_snoozed(today)
    if status == "acknowledged":
        return Q(status=AlertStatus.ACKNOWLEDGED) & _not_snoozed(today)
    if status == "snoozed":
        return ~Q(status=AlertStatus.RESOLVED) & Q(snoozed_until__gt=today)
    if status == "resolved":
        return Q(status=AlertStatus.RESOLVED)
    return Q()


def _filtered(
    *,
    tenant: Tenant,
    user: User,
    membership: Membership | None,
    filters: InboxFilters,
    now: datetime,
) -> QuerySet[Alert]:
    rows = alerts_visible_to(tenant=tenant, user=user, membership=membership)
    if _is_admin(membership):
        if filters.cam == "mine":
            rows = rows.filter(account__cam=user)
        elif filters.cam.isdigit():
            rows = rows.filter(account__cam_id=int(filters.cam))
        elif filters.cam == "none":
            rows = rows.filter(account__cam__isnull=True)
    if filters.rule:
        rows = rows.filter(rule_id=filters.rule)
    if filters.partner_type:
        rows = rows.filter(account__partner_type_id=filters.partner_type)
    if filters.age in AGES:
        _, newest, oldest = AGES[filters.age]
        rows = rows.filter(due_at__lte=now - timedelta(days=newest))
        if oldest is not None:
            rows = rows.filter(due_at__gt=now - timedelta(days=oldest))
    return rows


def alert_inbox(
    *,
    tenant: Tenant,
    user: User,
    membership: Membership | None,
    filters: InboxFilters,
    now: datetime | None = None,
) -> QuerySet[Alert]:
    now = now or timezone.now()
    rows = _filtered(tenant=tenant, user=user, membership=membership, filters=filters, now=now)
    rows = rows.filter(_status_q(filters.status, timezone.localdate(now)))
    return rows.select_related(
        "account",
        "account__partner_type",
        "account__cam",
        "rule",
        "rule__milestone",
        "partner_milestone",
        "acknowledged_by",
    ).order_by("-due_at", "-id")


def alert_status_counts(
    *,
    tenant: Tenant,
    user: User,
    membership: Membership | None,
    filters: InboxFilters,
    now: datetime | None = None,
) -> dict[str, int]:
    """How many alerts each status tab holds under the other filters: one query."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows = _filtered(tenant=tenant, user=user, membership=membership, filters=filters, now=now)
    counts: dict[str, int] = rows.aggregate(
        **{key: Count("id", filter=_status_q(key, today)) for key in INBOX_STATUSES}
    )
    return counts


def open_alert_count(*, tenant: Tenant, user: User, membership: Membership | None) -> int:
    """The console nav's badge: open alerts in the user's default inbox."""
    today = timezone.localdate()
    return (
        alerts_visible_to(tenant=tenant, user=user, membership=membership)
        .filter(_status_q("open", today))
        .count()
    )


def alert_rules_for(*, tenant: Tenant) -> list[AlertRule]:
    return list(
        AlertRule.objects.filter(tenant=tenant)
        .select_related("milestone")
        .order_by("day", "milestone__phase", "id")
    )


def alert_for_user(
    *, tenant: Tenant, user: User, membership: Membership | None, alert_id: int
) -> Alert | None:
    return (
        alerts_visible_to(tenant=tenant, user=user, membership=membership)
        .filter(pk=alert_id)
        .select_related("account", "rule", "rule__milestone")
        .first()
    )


# --- Digest ------------------------------------------------------------------------------


def alerts_for_digest(*, tenant: Tenant, user: User, today: date) -> list[Alert]:
    """The open (not snoozed) alerts of the active partners `user` manages."""
    return list(
        Alert.objects.filter(
            tenant=tenant,
            status=AlertStatus.OPEN,
            account__cam=user,
            account__status=PartnerStatus.ACTIVE,
        )
        .filter(_not_snoozed(today))
        .select_related("account", "account__partner_type", "rule", "rule__milestone")
        .order_by("account__name", "account_id", "due_at", "id")
    )


def digest_recipients_all_tenants(*, today: date) -> list[tuple[int, int]]:
    """(tenant id, CAM user id) of everyone with open alerts and no digest yet today."""
    with scopes_disabled():
        sent_today = AlertDigest.objects.filter(
            tenant_id=OuterRef("tenant_id"),
            user_id=OuterRef("account__cam_id"),
            last_sent_on__gte=today,
        )
        return list(
            Alert.objects.filter(
                status=AlertStatus.OPEN,
                account__cam__isnull=False,
                account__status=PartnerStatus.ACTIVE,
            )
            .filter(_not_snoozed(today))
            .exclude(Exists(sent_today))
            .values_list("tenant_id", "account__cam_id")
            .distinct()
            .order_by("tenant_id", "account__cam_id")
        )


# --- A partner's milestones ----------------------------------------------------------------


@dataclass
class MilestoneRow:
    item: PartnerMilestone
    milestone: Milestone
    state: str  # done | overdue | current | upcoming
    for_activation: bool
    rules: list[AlertRule] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


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
    activation = set(
        TrackMilestone.objects.filter(
            tenant=tenant, track_id=partner_track.track_id, counts_for_activation=True
        ).values_list("milestone_id", flat=True)
    )
    rules: dict[int, list[AlertRule]] = defaultdict(list)
    for rule in AlertRule.objects.filter(
        tenant=tenant, milestone_id__in=[i.milestone_id for i in items]
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
            for_activation=item.milestone_id in activation,
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
    }


def partner_events_recent(
    *, tenant: Tenant, account: PartnerAccount, limit: int = 12
) -> list[PartnerEvent]:
    return list(
        PartnerEvent.objects.filter(tenant=tenant, account=account)
        .select_related("recorded_by")
        .order_by("-occurred_at", "-id")[:limit]
    )


# --- The 90-day review package -------------------------------------------------------------


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
    certifications = list(events.filter(type__startswith="certification.").order_by("occurred_at"))
    deals = list(events.filter(type="deal.registered").order_by("occurred_at", "id"))
    first_deal = deals[0] if deals else None
    enrollment = enrollment_for_partner(tenant=tenant, partner_account_id=account.pk)
    reviews = list(events.filter(type="review.held").order_by("-occurred_at")[:1])
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
        "certified": [e for e in certifications if e.type == "certification.passed"],
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


# --- The console home ----------------------------------------------------------------------


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
        .filter(_not_snoozed(timezone.localdate(now)))
        .count(),
        "at_risk": at_risk,
    }


# --- Program settings ----------------------------------------------------------------------


def milestone_tracks_overview(*, tenant: Tenant) -> dict[str, Any]:
    tracks = list(
        Track.objects.filter(tenant=tenant)
        .select_related("partner_type")
        .prefetch_related(
            Prefetch(
                "links",
                queryset=TrackMilestone.objects.filter(tenant=tenant)
                .select_related("milestone")
                .order_by("milestone__phase", "milestone__window_from_day", "milestone__id"),
            )
        )
        .order_by("partner_type__position", "partner_type__name")
    )
    milestones = list(
        Milestone.objects.filter(tenant=tenant).prefetch_related(
            Prefetch("rules", queryset=AlertRule.objects.filter(tenant=tenant))
        )
    )
    shared = {
        row["milestone_id"]: row["n"]
        for row in TrackMilestone.objects.filter(tenant=tenant)
        .values("milestone_id")
        .annotate(n=Count("id"))
    }
    for milestone in milestones:
        milestone.track_count = shared.get(milestone.pk, 0)
    for track in tracks:
        track.activation = [
            link.milestone for link in track.links.all() if link.counts_for_activation
        ]
    return {"tracks": tracks, "milestones": milestones, "track_total": len(tracks)}
