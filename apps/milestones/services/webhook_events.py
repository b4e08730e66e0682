"""The milestones' webhook events, emitted by the statements that make them happen.

- `milestone.achieved`: a partner milestone completed (`apply_events`, which every path that
  completes one goes through: the sweep, an event recorded through the API or the console, a
  track edited).
- `milestone.missed`: the milestone's target window closed (its `due_at`, day `window_to_day`
  from enrollment, passed) while it was still not achieved. Seen by the sweep's events step,
  once per window: the step's cursor is locked while it runs, and each pass reads the windows
  that closed since the previous one, after that pass's events were applied (an achievement
  recorded in the same pass is not reported missed). An achievement recorded later (an event
  that happened in time but was sent late) still emits `milestone.achieved`.
- `alert.raised`: an alert raised for the CAM (`raise_due`).

None of these has an audit row: the sweep writes them for many partners at once, and the
domain audits decisions and transitions of people, not a due date passing. They go straight
to `apps.webhooks.emission.webhook_emit_many`. Each function first asks which of the programs
concerned have an endpoint listening (one cached value): for the others nothing is read or
written, so the sweep's statements do not grow with partners when nobody listens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from apps.milestones.models import Alert, PartnerMilestone
from apps.milestones.services.statements_sql import _fetch
from apps.webhooks.emission import (
    DirectEvent,
    webhook_emit_many,
    webhook_programs_subscribed_all_tenants,
)

ACHIEVED = "milestone.achieved"
MISSED = "milestone.missed"
RAISED = "alert.raised"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _listening(event_type: str, tenant_ids: Iterable[int]) -> list[int]:
    wanted = set(tenant_ids)
    if not wanted:
        return []
    return sorted(webhook_programs_subscribed_all_tenants(event_type=event_type) & wanted)


def _milestone_event(row: Sequence[Any], *, key: str, details: dict[str, Any]) -> DirectEvent:
    """`row` starts (pm id, tenant id, account id, milestone key, milestone name)."""
    return DirectEvent(
        tenant_id=row[1],
        key=key,
        partner_id=row[2],
        target_type=PartnerMilestone._meta.label_lower,
        target_id=row[0],
        target_label=row[4],
        details={"milestone": row[3], **details},
    )


def milestones_achieved_emit(
    *, completed: Sequence[tuple[int, int, int, int]], now: datetime
) -> int:
    """`milestone.achieved` for the partner milestones just completed ((partner milestone id,
    tenant id, account id, milestone id) rows, as `Applied.completed`). One query and the
    deliveries' INSERTs when a program listens; nothing at all otherwise."""
    tenants = _listening(ACHIEVED, (row[1] for row in completed))
    if not tenants:
        return 0
    rows = _fetch(
        """
        SELECT pm.id, pm.tenant_id, pm.account_id, m.key, m.name, pm.starts_at, pm.due_at,
               pm.completed_at, pm.completion_event_id, m.counts_for_activation
        FROM milestones_partnermilestone pm
        JOIN milestones_milestone m ON m.id = pm.milestone_id
        WHERE pm.id = ANY(%(ids)s) AND pm.tenant_id = ANY(%(tenants)s)
          AND pm.completed_at IS NOT NULL
        ORDER BY pm.id
        """,
        {"ids": sorted({row[0] for row in completed}), "tenants": tenants},
    )
    return webhook_emit_many(
        event_type=ACHIEVED,
        created_at=now,
        events=[
            _milestone_event(
                row,
                key=f"partnermilestone:{row[0]}",
                details={
                    "starts_at": _iso(row[5]),
                    "due_at": _iso(row[6]),
                    "completed_at": _iso(row[7]),
                    "on_time": row[7] <= row[6],
                    "partner_event_id": row[8],
                    "counts_for_activation": row[9],
                },
            )
            for row in rows
        ],
    )


def milestones_missed_emit(*, closed_after: datetime | None, now: datetime) -> int:
    """`milestone.missed` for the partner milestones whose window closed in (`closed_after`,
    `now`] still not achieved, in the programs listening (none read for the others: the
    partial index of open milestones by program and due date serves the read). No window
    before the first pass (`closed_after` None): nothing is sent for the past."""
    # Read first, whatever the window: every pass then finds the cached value warm.
    tenants = sorted(webhook_programs_subscribed_all_tenants(event_type=MISSED))
    if not tenants or closed_after is None or closed_after >= now:
        return 0
    rows = _fetch(
        """
        SELECT pm.id, pm.tenant_id, pm.account_id, m.key, m.name, pm.starts_at, pm.due_at,
               pm.progress
        FROM milestones_partnermilestone pm
        JOIN milestones_milestone m ON m.id = pm.milestone_id
        WHERE pm.tenant_id = ANY(%(tenants)s) AND pm.completed_at IS NULL
          AND pm.due_at > %(after)s AND pm.due_at <= %(now)s
        ORDER BY pm.id
        """,
        {"tenants": tenants, "after": closed_after, "now": now},
    )
    return webhook_emit_many(
        event_type=MISSED,
        created_at=now,
        events=[
            _milestone_event(
                row,
                # A window moved later and missed again is another miss (another id).
                key=f"partnermilestone:{row[0]}:{_iso(row[6])}",
                details={"starts_at": _iso(row[5]), "due_at": _iso(row[6]), "progress": row[7]},
            )
            for row in rows
        ],
    )


def alerts_raised_emit(*, raised: Sequence[tuple[int, int, int, str]], now: datetime) -> int:
    """`alert.raised` for the alerts just raised ((alert id, tenant id, account id, rule kind)
    rows, as `raise_due` returns them). One query and the deliveries' INSERTs when a program
    listens; nothing at all otherwise."""
    tenants = _listening(RAISED, (row[1] for row in raised))
    if not tenants:
        return 0
    rows = _fetch(
        """
        SELECT a.id, a.tenant_id, a.account_id, r.label, r.kind, r.day, m.key, a.due_at,
               a.status, a.partner_milestone_id, a.rule_id
        FROM milestones_alert a
        JOIN milestones_alertrule r ON r.id = a.rule_id
        JOIN milestones_partnermilestone pm ON pm.id = a.partner_milestone_id
        JOIN milestones_milestone m ON m.id = pm.milestone_id
        WHERE a.id = ANY(%(ids)s) AND a.tenant_id = ANY(%(tenants)s)
        ORDER BY a.id
        """,
        {"ids": sorted({row[0] for row in raised}), "tenants": tenants},
    )
    return webhook_emit_many(
        event_type=RAISED,
        created_at=now,
        events=[
            DirectEvent(
                tenant_id=row[1],
                # An alert is one per partner milestone and rule: the same id even when a
                # rolled-back pass raised it once under another row id.
                key=f"alert:{row[9]}:{row[10]}",
                partner_id=row[2],
                # The target of the alert's later audit events (acknowledged, resolved).
                target_type=Alert._meta.label_lower,
                target_id=row[0],
                target_label=row[3],
                details={
                    "from": None,
                    "to": row[8],
                    "kind": row[4],
                    "day": row[5],
                    "milestone": row[6],
                    "due_at": _iso(row[7]),
                },
            )
            for row in rows
        ],
    )
