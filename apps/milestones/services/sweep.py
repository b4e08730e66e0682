"""The periodic sweep (every minute): platform code, one set-based statement per step for
every tenant at once.

1. Content library opens become partner events (`asset.downloaded`…), once each.
2. Partners newly enrolled in onboarding get their milestone track: per-partner milestones
   and rule checkpoints with dates counted from the enrollment.
3. Events recorded since the last pass complete milestones, satisfy rules, resolve alerts
   and activate partners; then the milestones whose target window closed since the last pass
   still not achieved are reported missed (webhooks only, for the programs listening).
4. Partners past their activation window without activation go dark.
5. Due checkpoints raise their alerts, exactly once.

Steps 1–3 read behind a cursor with an overlap (late commits are still seen; every write is
idempotent). Step 5 first probes the partial index of what is due (nothing due: one index
entry read), so its cost follows the alerts due, not the partners; after downtime it catches
up on everything missed, in batches.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from apps.milestones.alert_badge import alerts_changed
from apps.milestones.models import Alert, AlertKind
from apps.milestones.services import statements
from apps.milestones.services.webhook_events import milestones_missed_emit
from apps.partners.selectors import (
    partner_event_rows_all_tenants,
    responsible_staff_by_account_all_tenants,
)

# How far behind its cursor a step re-reads: longer than any transaction that records events.
OVERLAP = timedelta(minutes=10)
ENROLLMENT_ID_OVERLAP = 1000
RAISE_BATCH = 5000  # larger batches tip the plan into hash joins over every checkpoint
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class SweepResult:
    events_from_content: int = 0
    tracks_started: int = 0
    milestones_completed: int = 0
    missed_webhooks: int = 0  # deliveries of `milestone.missed` written
    alerts_resolved: int = 0
    partners_activated: int = 0
    partners_dark: int = 0
    alerts_raised: list[int] = field(default_factory=list)
    checkpoints_claimed: int = 0


def _cursor(name: str) -> tuple[datetime | None, int]:
    """Lock the step's cursor row (creating it once): concurrent sweeps take turns."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO milestones_sweepcursor (name, position_id) VALUES (%s, 0) "
            "ON CONFLICT (name) DO NOTHING",
            [name],
        )
        cursor.execute(
            "SELECT position_at, position_id FROM milestones_sweepcursor "
            "WHERE name = %s FOR UPDATE",
            [name],
        )
        position_at, position_id = cursor.fetchone()
        return position_at, position_id


def _advance(name: str, *, at: datetime | None = None, position_id: int | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE milestones_sweepcursor SET "
            "position_at = GREATEST(COALESCE(position_at, %s), %s), "
            "position_id = GREATEST(position_id, %s) WHERE name = %s",
            [at, at, position_id or 0, name],
        )


def _since(position_at: datetime | None) -> datetime:
    return position_at - OVERLAP if position_at else EPOCH


def milestone_sweep_all_tenants(*, now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()

    with transaction.atomic():
        position_at, _ = _cursor("content_opens")
        result.events_from_content = statements.translate_content_opens(
            since=_since(position_at), now=now
        )
        _advance("content_opens", at=now)

    with transaction.atomic():
        _, position_id = _cursor("enrollments")
        track_ids, highest = statements.intake_enrollments(
            after_id=max(0, position_id - ENROLLMENT_ID_OVERLAP), now=now
        )
        applied = statements.materialise(partner_track_ids=track_ids, now=now)
        _advance("enrollments", position_id=highest)
    result.tracks_started = len(track_ids)

    with transaction.atomic():
        position_at, _ = _cursor("events")
        applied.merge(
            statements.apply_events(
                events=partner_event_rows_all_tenants(since=_since(position_at)), now=now
            )
        )
        # Windows closed since the previous pass (under this cursor's lock: once each).
        result.missed_webhooks = milestones_missed_emit(closed_after=position_at, now=now)
        _advance("events", at=now)
        alerts_changed(tenant_ids=applied.resolved_tenants)
    result.milestones_completed = len(applied.completed)
    result.alerts_resolved = len(applied.resolved)
    result.partners_activated = len(applied.activated)

    with transaction.atomic():
        result.partners_dark = len(statements.mark_dark(now=now))

    claimed = 0
    while True:
        with transaction.atomic():
            claimed, raised = statements.raise_due(
                now=now, batch=RAISE_BATCH, probe=claimed < RAISE_BATCH
            )
            _notify_reminders([row[0] for row in raised if row[3] == AlertKind.REMINDER])
            alerts_changed(tenant_ids=[row[1] for row in raised])
        result.checkpoints_claimed += claimed
        result.alerts_raised += [row[0] for row in raised]
        if claimed < RAISE_BATCH:
            break
    return result


def _notify_reminders(alert_ids: list[int]) -> None:
    """The 90-day review package is ready: tell the partner's CAM in the app as well (or every
    active program admin, for a partner without an active CAM). Set-based: the alerts, their
    partners' staff, each program's host once, and one INSERT of every notification."""
    if not alert_ids:
        return
    from apps.notifications.services import notification_create_many

    with scopes_disabled():
        alerts = list(
            Alert.objects.filter(pk__in=alert_ids)
            .select_related("tenant", "account", "rule")
            .order_by("id")
        )
    staff_of = responsible_staff_by_account_all_tenants(
        account_ids={alert.account_id for alert in alerts}
    )
    notification_create_many(
        kind="milestone_review_ready",
        rows=[
            (
                alert.tenant,
                user,
                {"alert": alert, "partner": alert.account},
                reverse("milestones_partner:review", args=[alert.account_id]),
            )
            for alert in alerts
            for user in staff_of.get(alert.account_id, [])
        ],
    )
