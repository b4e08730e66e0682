"""What a CAM does with an alert (acknowledge, snooze), and the daily digest email.

Alerts are raised by the sweep and resolved by events (apps/milestones/services/statements.py);
nothing else changes their status.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.audit.services import LabelledActor, actor_user, audit_record
from apps.milestones import verbs
from apps.milestones.alert_badge import alerts_changed
from apps.milestones.models import Alert, AlertStatus
from apps.partners.models import PartnerAccount
from apps.tenancy.models import Membership, Role, Tenant

S = AlertStatus
MAX_SNOOZE_DAYS = 180

# The sweep raises alerts in this status (apps/milestones/services/statements.py).
ALERT_RAISED_STATUS = S.OPEN
# The only allowed changes: event -> (statuses it may start from, status it leads to).
# Snoozing hides the alert until a day and keeps its status (no target). Resolving is the
# system's: an event that satisfies the alert's rule resolves it (statements.py).
ALERT_TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "acknowledge": (frozenset({S.OPEN}), S.ACKNOWLEDGED),
    "snooze": (frozenset({S.OPEN, S.ACKNOWLEDGED}), None),
    "resolve": (frozenset({S.OPEN, S.ACKNOWLEDGED}), S.RESOLVED),
}
# What a CAM can do with an alert (the inbox's buttons), in the order they are shown.
ALERT_CAM_EVENTS = ("acknowledge", "snooze")
# Statuses no event leads out of.
ALERT_DONE_STATUSES = frozenset(S.values) - frozenset().union(
    *(transition[0] for transition in ALERT_TRANSITIONS.values())
)
_REFUSED = {
    "acknowledge": _("You can’t acknowledge this alert: it is %(status)s."),
    "snooze": _("You can’t snooze this alert: it is %(status)s."),
    "resolve": _("You can’t resolve this alert: it is %(status)s."),
}


def alert_can(status: str, event: str) -> bool:
    """Whether `event` may happen to an alert in `status` (ALERT_TRANSITIONS)."""
    return status in ALERT_TRANSITIONS[event][0]


def alert_cam_events(status: str) -> list[str]:
    """What a CAM can do with an alert in `status`: the buttons it shows."""
    return [event for event in ALERT_CAM_EVENTS if alert_can(status, event)]


class AlertError(Exception):
    """The change is not allowed; the message is shown to the user."""


def _lock(*, tenant: Tenant, actor: User | LabelledActor, alert_id: int) -> Alert:
    # The alert row alone is locked; the partner is read after the lock.
    alert = Alert.objects.select_for_update().filter(tenant=tenant, pk=alert_id).first()
    if alert is None:
        raise AlertError("That alert does not exist.")
    alert.account = PartnerAccount.objects.get(pk=alert.account_id)
    if isinstance(actor, LabelledActor):
        # An API key of the program sees every alert, as a program admin does; what it may
        # do is its scopes, checked before the service is called.
        if actor.tenant_id != tenant.pk:
            raise AlertError("That alert does not exist.")
        return alert
    membership = Membership.objects.filter(tenant=tenant, user=actor, is_active=True).first()
    is_admin = membership is not None and membership.role == Role.PROGRAM_ADMIN
    is_cam = membership is not None and membership.role == Role.CHANNEL_MANAGER
    if not (is_admin or (is_cam and alert.account.cam_id == actor.pk)):
        raise AlertError("That alert does not exist.")
    return alert


def _check(alert: Alert, event: str) -> str:
    """Refuse `event` unless the table allows it from the alert's status; returns the
    status it leads to."""
    if not alert_can(alert.status, event):
        raise AlertError(_REFUSED[event] % {"status": alert.get_status_display().lower()})
    return ALERT_TRANSITIONS[event][1] or alert.status


def _audit(
    *,
    tenant: Tenant,
    actor: User | LabelledActor,
    alert: Alert,
    verb: str,
    before: str,
    data: dict[str, Any] | None = None,
) -> None:
    alerts_changed(tenant_ids=[tenant.pk])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verb,
        target=alert,
        partner_id=alert.account_id,
        data={"from": before, "to": alert.status, **(data or {})},
    )


@transaction.atomic
def alert_acknowledge(*, tenant: Tenant, actor: User | LabelledActor, alert_id: int) -> Alert:
    alert = _lock(tenant=tenant, actor=actor, alert_id=alert_id)
    target = _check(alert, "acknowledge")
    before = alert.status
    alert.status = target
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor_user(actor)  # None for an API key (the audit names it)
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    _audit(tenant=tenant, actor=actor, alert=alert, verb=verbs.ALERT_ACKNOWLEDGED, before=before)
    return alert


@transaction.atomic
def alert_snooze(*, tenant: Tenant, actor: User, alert_id: int, until: date) -> Alert:
    """Hide the alert from the inbox, the counts and the digest until `until` (a date)."""
    alert = _lock(tenant=tenant, actor=actor, alert_id=alert_id)
    before = alert.status
    alert.status = _check(alert, "snooze")
    today = timezone.localdate()
    if until <= today:
        raise AlertError("Snooze until a day after today.")
    if until > today + timedelta(days=MAX_SNOOZE_DAYS):
        raise AlertError(f"Snooze for at most {MAX_SNOOZE_DAYS} days.")
    alert.snoozed_until = until
    alert.save(update_fields=["status", "snoozed_until"])
    _audit(
        tenant=tenant,
        actor=actor,
        alert=alert,
        verb=verbs.ALERT_SNOOZED,
        before=before,
        data={"until": until.isoformat()},
    )
    return alert


@transaction.atomic
def alert_digest_send(*, tenant: Tenant, user: User, today: date | None = None) -> int:
    """Email `user` one digest of their open alerts, at most once a day. Returns how many
    alerts it listed (0: nothing to send, or already sent today)."""
    from apps.milestones.selectors.alerts import alerts_for_digest
    from apps.notifications.services import notification_create

    today = today or timezone.localdate()
    alerts = alerts_for_digest(tenant=tenant, user=user, today=today)
    if not alerts:
        return 0
    with connection.cursor() as cursor:
        # Claim the day: a second run (or a concurrent one) finds it taken.
        cursor.execute(
            """
            INSERT INTO milestones_alertdigest (tenant_id, user_id, last_sent_on)
            VALUES (%(tenant)s, %(user)s, %(today)s)
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET last_sent_on = EXCLUDED.last_sent_on
            WHERE milestones_alertdigest.last_sent_on < EXCLUDED.last_sent_on
            RETURNING id
            """,
            {"tenant": tenant.pk, "user": user.pk, "today": today},
        )
        if cursor.fetchone() is None:
            return 0
    partners: dict[int, dict[str, Any]] = {}
    for alert in alerts:
        entry = partners.setdefault(alert.account_id, {"partner": alert.account, "alerts": []})
        entry["alerts"].append(alert)
    notification_create(
        tenant=tenant,
        recipient=user,
        kind="milestone_alert_digest",
        in_app=False,
        url=reverse("alerts:inbox"),
        context={"alerts": alerts, "partners": list(partners.values()), "today": today},
    )
    return len(alerts)


def alerts_resolve(
    *, tenant: Tenant, actor: User, now: datetime, reason: str, **where: Any
) -> list[int]:
    """Resolve the unresolved alerts matched by `where` (the "resolve" transition) when what
    they watched is gone (a milestone dropped, a rule retired), each audited with from, to
    and `reason`. Returns their ids."""
    sources, target = ALERT_TRANSITIONS["resolve"]
    assert target is not None
    alerts = list(
        Alert.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, status__in=sources, **where)
        .order_by("pk")
    )
    for alert in alerts:
        before = alert.status
        alert.status = target
        alert.resolved_at = now
        alert.save(update_fields=["status", "resolved_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verbs.ALERT_RESOLVED,
            target=alert,
            partner_id=alert.account_id,
            data={"from": before, "to": target, "reason": reason},
        )
    if alerts:
        alerts_changed(tenant_ids=[tenant.pk])
    return [alert.pk for alert in alerts]
