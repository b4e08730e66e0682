"""Reads of milestone alerts: the alert inbox (filters, status tabs, the nav badge's count)
and the daily digest.

A partner's alerts are its active CAM's; a partner without one (no CAM, or a CAM whose
membership is deactivated or no longer staff) is "unassigned" and its alerts are every active
program admin's, in the digest as in the inbox (`apps.partners.selectors.active_cam_exists`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_scopes import scopes_disabled

from apps.milestones.models import Alert, AlertDigest, AlertRule, AlertStatus
from apps.partners.models import PartnerStatus
from apps.partners.selectors import active_cam_exists, partner_accounts_responsible_to
from apps.tenancy.models import Membership, Role

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant

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


@dataclass(frozen=True)
class InboxFilters:
    status: str = "open"
    rule: int | None = None
    partner_type: int | None = None
    age: str = ""
    # Program admins see every alert; "mine" narrows to their own partners, a number to
    # that CAM's, "none" to unassigned partners (no active CAM). Channel managers only ever
    # see their own partners' alerts.
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


def not_snoozed(today: date) -> Q:
    """Alerts that are not snoozed on `today` (never snoozed, or the snooze has ended)."""
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today)


def _status_q(status: str, today: date) -> Q:
    if status == "open":
        return Q(status=AlertStatus.OPEN) & not_snoozed(today)
    if status == "acknowledged":
        return Q(status=AlertStatus.ACKNOWLEDGED) & not_snoozed(today)
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
            rows = rows.filter(
                ~active_cam_exists(cam_ref="account__cam_id", tenant_ref="account__tenant_id")
            )
    if filters.rule:
        # Each track has its own copy of a rule: the filter matches every track's copy
        # (same milestone key, day and label) of the one chosen.
        chosen = AlertRule.objects.filter(tenant=tenant, pk=filters.rule)
        rows = rows.filter(
            rule__in=AlertRule.objects.filter(
                tenant=tenant,
                milestone__key__in=chosen.values("milestone__key"),
                day__in=chosen.values("day"),
                label__in=chosen.values("label"),
            )
        )
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
    """The inbox's alert filter choices: one per rule however many tracks have a copy of it
    (same milestone key, day and label), the first copy standing for all."""
    rules: dict[tuple[str, int, str], AlertRule] = {}
    for rule in (
        AlertRule.objects.filter(tenant=tenant)
        .select_related("milestone")
        .order_by("day", "milestone__phase", "id")
    ):
        rules.setdefault((rule.milestone.key, rule.day, rule.label), rule)
    return list(rules.values())


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
    """The open (not snoozed) alerts of the active partners whose alerts go to `user`: those
    they are the active CAM of and, for a program admin, the unassigned ones. None for
    someone no longer an active staff member."""
    return list(
        Alert.objects.filter(
            tenant=tenant,
            status=AlertStatus.OPEN,
            account__in=partner_accounts_responsible_to(tenant=tenant, user=user),
            account__status=PartnerStatus.ACTIVE,
        )
        .filter(not_snoozed(today))
        .select_related("account", "account__partner_type", "rule", "rule__milestone")
        .order_by("account__name", "account_id", "due_at", "id")
    )


def digest_recipients_all_tenants(*, today: date) -> list[tuple[int, int]]:
    """(tenant id, user id) of everyone with open alerts and no digest yet today: the active
    CAMs of partners with open alerts, and every active program admin of a program with open
    alerts on an unassigned partner. Two queries."""
    with scopes_disabled():
        due = Alert.objects.filter(
            status=AlertStatus.OPEN, account__status=PartnerStatus.ACTIVE
        ).filter(not_snoozed(today))
        assigned = active_cam_exists(cam_ref="account__cam_id", tenant_ref="account__tenant_id")
        cam_sent_today = AlertDigest.objects.filter(
            tenant_id=OuterRef("tenant_id"),
            user_id=OuterRef("account__cam_id"),
            last_sent_on__gte=today,
        )
        cams = set(
            due.filter(assigned)
            .exclude(Exists(cam_sent_today))
            .values_list("tenant_id", "account__cam_id")
            .distinct()
        )
        admin_sent_today = AlertDigest.objects.filter(
            tenant_id=OuterRef("tenant_id"), user_id=OuterRef("user_id"), last_sent_on__gte=today
        )
        admins = set(
            Membership.objects.filter(
                role=Role.PROGRAM_ADMIN,
                is_active=True,
                user__is_active=True,
                tenant_id__in=due.filter(~assigned).values("tenant_id"),
            )
            .exclude(Exists(admin_sent_today))
            .values_list("tenant_id", "user_id")
        )
    return sorted(cams | admins)
