"""The set-based statements behind milestones: one SQL statement per step, whatever the
number of partners it touches.

Every statement is idempotent (`ON CONFLICT DO NOTHING`, or an `UPDATE … WHERE … IS NULL`),
so running a step twice, concurrently, or again after a worker was killed mid-way changes
nothing the second time. The same statements serve the periodic sweep (events recorded
since its last pass) and the services that record an event and apply it at once.

Only milestones' own tables are named here. What other apps own is read through their
selectors (querysets compiled into a subquery: partner events, partner accounts' status,
onboarding enrollments) and written through their set-based services (partner events from
content opens, partner accounts activated or dark), so their rules apply and the dependency
is an import. Values are always parameters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet

from apps.audit.services import AuditEntry, audit_record_many
from apps.content.selectors import OPEN_EVENT_TYPES, content_opens_as_partner_events_all_tenants
from apps.milestones import verbs
from apps.milestones.models import Alert
from apps.milestones.services.alerts import ALERT_RAISED_STATUS, ALERT_TRANSITIONS
from apps.milestones.services.statements_progress import progress_update
from apps.milestones.services.statements_sql import Applied, _fetch, _subquery
from apps.milestones.services.webhook_events import alerts_raised_emit, milestones_achieved_emit
from apps.onboarding.selectors import (
    enrollment_last_id_all_tenants,
    enrollment_rows_all_tenants,
)
from apps.partners.selectors import (
    partner_account_activity_all_tenants,
    partner_event_rows_all_tenants,
)
from apps.partners.services import (
    partner_accounts_activate_many,
    partner_accounts_mark_dark_many,
    partner_events_record_many,
)

# An event completes a milestone (of the "any event" kinds) when it is one of the milestone's
# event types (and has its reference, if the milestone names one; and, for a content open, is
# of one of its content categories, if it names some), or when it is the CAM's check-off of it.
# SHARE and ALL_EVENTS milestones complete through their progress (`progress_update`).
_COMPLETES = """(
    (m.completion NOT IN ('share', 'all_events')
     AND e.type = ANY(m.event_types)
     AND (m.event_reference = '' OR e.reference = m.event_reference)
     AND (cardinality(m.content_categories) = 0 OR e.type NOT LIKE 'asset.%%'
          OR e.category = ANY(m.content_categories)))
    OR (e.type = %(check_off_type)s AND e.reference = 'milestone:' || m.key)
)"""


def apply_events(*, events: QuerySet[Any, Any], now: datetime) -> Applied:
    """Complete milestones, satisfy rules and resolve alerts from `events` (rows of
    `partner_event_rows_all_tenants`); then activate the partners whose activation milestones
    are now all complete."""
    try:
        events_sql, params = _subquery(events, "event")
    except EmptyResultSet:
        return Applied()
    applied = Applied()
    applied.completed = [
        (row[0], row[1], row[2], row[3])
        for row in _fetch(
            f"""
            WITH hits AS (
                SELECT DISTINCT ON (pm.id)
                       pm.id AS pm_id, e.id AS event_id, e.occurred_at, e.recorded_by_id
                FROM ({events_sql}) e
                JOIN milestones_partnermilestone pm
                  ON pm.tenant_id = e.tenant_id AND pm.account_id = e.account_id
                 AND pm.completed_at IS NULL
                JOIN milestones_milestone m ON m.id = pm.milestone_id
                WHERE {_COMPLETES}
                ORDER BY pm.id, e.occurred_at, e.id
            )
            UPDATE milestones_partnermilestone pm
               SET completed_at = hits.occurred_at,
                   completion_event_id = hits.event_id,
                   completed_by_id = hits.recorded_by_id
              FROM hits
             WHERE pm.id = hits.pm_id AND pm.completed_at IS NULL
            RETURNING pm.id, pm.tenant_id, pm.account_id, pm.milestone_id
            """,  # noqa: S608 - fixed fragments, values are parameters
            {**params, "check_off_type": verbs.CHECKED_OFF_EVENT},
        )
    ]
    progressed = progress_update(events_sql=events_sql, params=params)
    applied.completed += [row[:4] for row in progressed if row[4] is not None]
    # Rules with events of their own ("no certification attempt at day 30"). A stalled rule's
    # events are read when it is due; a threshold rule follows the progress (below).
    satisfied = _fetch(
        f"""
        WITH hits AS (
            SELECT DISTINCT ON (c.id) c.id AS cp_id, e.occurred_at
            FROM ({events_sql}) e
            JOIN milestones_alertcheckpoint c
              ON c.tenant_id = e.tenant_id AND c.account_id = e.account_id
             AND c.satisfied_at IS NULL
            JOIN milestones_alertrule r ON r.id = c.rule_id
            WHERE r.condition = 'missing' AND e.type = ANY(r.event_types)
              AND (r.event_reference = '' OR e.reference = r.event_reference)
            ORDER BY c.id, e.occurred_at, e.id
        )
        UPDATE milestones_alertcheckpoint c
           SET satisfied_at = hits.occurred_at
          FROM hits
         WHERE c.id = hits.cp_id AND c.satisfied_at IS NULL
        RETURNING c.id
        """,  # noqa: S608 - fixed fragments, values are parameters
        params,
    )
    applied.satisfied = [row[0] for row in satisfied]
    if progressed:
        # Progress at or above a threshold rule's percentage satisfies it ("less than 50% at
        # day 14"), resolving its alert if it was raised.
        applied.satisfied += [
            row[0]
            for row in _fetch(
                """
                UPDATE milestones_alertcheckpoint c
                   SET satisfied_at = %(now)s
                  FROM milestones_partnermilestone pm, milestones_alertrule r
                 WHERE pm.id = ANY(%(pm_ids)s) AND c.partner_milestone_id = pm.id
                   AND r.id = c.rule_id AND r.condition = 'below'
                   AND pm.progress >= COALESCE(r.threshold, 100)
                   AND c.satisfied_at IS NULL
                RETURNING c.id
                """,
                {"pm_ids": [row[0] for row in progressed], "now": now},
            )
        ]
    if applied.completed:
        # A completed milestone satisfies every one of its rules, but a stalled rule: a
        # registered deal completes "first deal", and may still stall.
        applied.satisfied += [
            row[0]
            for row in _fetch(
                """
                UPDATE milestones_alertcheckpoint c
                   SET satisfied_at = pm.completed_at
                  FROM milestones_partnermilestone pm, milestones_alertrule r
                 WHERE pm.id = ANY(%(pm_ids)s) AND c.partner_milestone_id = pm.id
                   AND r.id = c.rule_id AND r.condition <> 'stalled'
                   AND c.satisfied_at IS NULL
                RETURNING c.id
                """,
                {"pm_ids": [row[0] for row in applied.completed]},
            )
        ]
    if applied.satisfied:
        applied.resolved, applied.resolved_tenants = _resolve_alerts(
            checkpoint_ids=applied.satisfied, now=now
        )
    if applied.completed:
        applied.activated = activate(account_ids=sorted({row[2] for row in applied.completed}))
        milestones_achieved_emit(completed=applied.completed, now=now)  # nothing if unheard
    return applied


def _resolve_alerts(*, checkpoint_ids: list[int], now: datetime) -> tuple[list[int], set[int]]:
    """Resolve the alerts of satisfied checkpoints (the "resolve" transition), audited with
    from and to. Returns the alert ids and their tenants."""
    sources, target = ALERT_TRANSITIONS["resolve"]
    assert target is not None
    resolved = _fetch(
        """
        UPDATE milestones_alert a
           SET status = %(target)s, resolved_at = %(now)s
          FROM milestones_alert old
         WHERE a.checkpoint_id = ANY(%(cp_ids)s) AND a.resolved_at IS NULL
           AND a.status = ANY(%(sources)s) AND old.id = a.id
        RETURNING a.id, a.tenant_id, a.account_id, old.status,
                  (SELECT r.label FROM milestones_alertrule r WHERE r.id = a.rule_id)
        """,
        {"cp_ids": checkpoint_ids, "now": now, "target": target, "sources": sorted(sources)},
    )
    audit_record_many(
        actor=None,
        entries=(
            AuditEntry(
                tenant_id=tenant_id,
                verb=verbs.ALERT_RESOLVED,
                target_type=Alert._meta.label_lower,
                target_id=alert_id,
                target_label=label or "",
                partner_id=account_id,
                data={"from": before, "to": target},
            )
            for alert_id, tenant_id, account_id, before, label in resolved
        ),
    )
    return [row[0] for row in resolved], {row[1] for row in resolved}


def activate(*, account_ids: list[int]) -> list[tuple[int, int]]:
    """Mark activated the partners (among `account_ids`) whose track's activation milestones
    are all complete, at the moment the last of them completed (their track here, their
    account through the partners app, in the same statement). Clears the dark flag."""
    return partner_accounts_activate_many(
        changes=(
            """
            done AS (
                SELECT pt.id AS pt_id, pt.account_id, max(pm.completed_at) AS at
                FROM milestones_partnertrack pt
                JOIN milestones_milestone m
                  ON m.track_id = pt.track_id AND m.counts_for_activation
                JOIN milestones_partnermilestone pm
                  ON pm.partner_track_id = pt.id AND pm.milestone_id = m.id
                WHERE pt.account_id = ANY(%(account_ids)s) AND pt.activated_at IS NULL
                GROUP BY pt.id, pt.account_id
                HAVING bool_and(pm.completed_at IS NOT NULL)
            ), changes AS (
                UPDATE milestones_partnertrack pt
                   SET activated_at = done.at
                  FROM done
                 WHERE pt.id = done.pt_id AND pt.activated_at IS NULL
                RETURNING pt.account_id, done.at
            )
            """,
            {"account_ids": account_ids},
        )
    )


def materialise(
    *, partner_track_ids: list[int], now: datetime, counted_from: datetime | None = None
) -> Applied:
    """Create the partner milestones and rule checkpoints of new partner tracks, with their
    dates counted from enrollment (or from `counted_from`: a partner switched to another
    track gets its new milestones counted from the switch; the ones it has are kept); then
    apply the partners' events recorded so far."""
    if not partner_track_ids:
        return Applied()
    params = {"ids": partner_track_ids, "counted_from": counted_from}
    _fetch(
        """
        INSERT INTO milestones_partnermilestone
               (tenant_id, account_id, partner_track_id, milestone_id, starts_at, due_at)
        SELECT pt.tenant_id, pt.account_id, pt.id, m.id,
               COALESCE(%(counted_from)s, pt.enrolled_at)
                   + make_interval(days => m.window_from_day),
               COALESCE(%(counted_from)s, pt.enrolled_at)
                   + make_interval(days => m.window_to_day)
        FROM milestones_partnertrack pt
        JOIN milestones_milestone m ON m.track_id = pt.track_id
        WHERE pt.id = ANY(%(ids)s)
        ON CONFLICT DO NOTHING
        """,
        params,
    )
    _fetch(
        """
        INSERT INTO milestones_alertcheckpoint
               (tenant_id, account_id, partner_milestone_id, rule_id, due_at, outcome)
        SELECT pm.tenant_id, pm.account_id, pm.id, r.id,
               COALESCE(%(counted_from)s, pt.enrolled_at) + make_interval(days => r.day), ''
        FROM milestones_partnermilestone pm
        JOIN milestones_partnertrack pt ON pt.id = pm.partner_track_id
        JOIN milestones_alertrule r ON r.milestone_id = pm.milestone_id AND r.active
        WHERE pm.partner_track_id = ANY(%(ids)s)
        ON CONFLICT DO NOTHING
        """,
        params,
    )
    accounts = [
        row[0]
        for row in _fetch(
            "SELECT account_id FROM milestones_partnertrack WHERE id = ANY(%(ids)s)", params
        )
    ]
    return apply_events(events=partner_event_rows_all_tenants(account_ids=accounts), now=now)


def mark_dark(*, now: datetime, account_ids: list[int] | None = None) -> list[tuple[int, int]]:
    """Partners whose activation window ran out without activation go dark (once): their
    track here, their account through the partners app, in the same statement."""
    only = "AND pt.account_id = ANY(%(account_ids)s)" if account_ids is not None else ""
    return partner_accounts_mark_dark_many(
        changes=(
            f"""
            changes AS (
                UPDATE milestones_partnertrack pt
                   SET dark_at = pt.activation_due_at
                 WHERE pt.activation_due_at <= %(now)s
                   AND pt.activated_at IS NULL AND pt.dark_at IS NULL {only}
                RETURNING pt.account_id, pt.dark_at AS at
            )
            """,  # noqa: S608 - fixed fragment, values are parameters
            {"now": now, "account_ids": account_ids},
        )
    )


def raise_due(
    *, now: datetime, batch: int, probe: bool = True
) -> tuple[int, list[tuple[int, int, int, str]]]:
    """Claim up to `batch` due checkpoints and raise their alerts, in one statement.

    The partial index on `due_at WHERE fired_at IS NULL AND satisfied_at IS NULL` finds
    them; `FOR UPDATE SKIP LOCKED` lets two sweeps share the work, and the unique
    constraint on (tenant, partner milestone, rule) makes a second alert impossible anyway.
    Suspended partners' checkpoints are closed without an alert ("suppressed"), and so are
    those whose signal is there when they fall due ("clear": progress at the threshold, no
    deal stalled, the milestone done). A stalled rule reads the partner's events then: its
    cost follows the rows due.
    Returns how many checkpoints were claimed, and (alert id, tenant id, account id, rule
    kind) of each alert raised.
    """
    # The common case is that nothing is due: the first entry of the partial index (in its
    # order, so never a sequential scan whatever the statistics say), not the whole plan.
    # (`probe=False` after a full batch: more is likely due, and the index's front is then
    # the dead entries of the rows just claimed.)
    if probe:
        first = _fetch(
            "SELECT due_at FROM milestones_alertcheckpoint "
            "WHERE fired_at IS NULL AND satisfied_at IS NULL ORDER BY due_at LIMIT 1",
            {},
        )
        if not first or first[0][0] > now:
            return 0, []
    accounts, params = _subquery(partner_account_activity_all_tenants(), "account")
    log, log_params = _subquery(partner_event_rows_all_tenants(every=True), "log")
    rows = _fetch(
        f"""
        WITH due AS (
            SELECT c.id, c.tenant_id, c.account_id, c.partner_milestone_id, c.rule_id
            FROM milestones_alertcheckpoint c
            WHERE c.due_at <= %(now)s AND c.fired_at IS NULL AND c.satisfied_at IS NULL
            ORDER BY c.due_at
            LIMIT %(batch)s
            FOR UPDATE SKIP LOCKED
        ), stalled AS (
            -- Due stall checkpoints whose partner has a registered item (deal) with no later
            -- event for it: plain joins over the due rows' partners, no correlated subplan.
            SELECT DISTINCT x.cp_id AS id FROM (
                SELECT c.id AS cp_id, reg.id AS reg_id, count(later.id) AS later_events
                FROM due c  -- the claimed rows' columns: no second read of the checkpoints
                JOIN milestones_alertrule r ON r.id = c.rule_id AND r.condition = 'stalled'
                JOIN milestones_partnermilestone pm ON pm.id = c.partner_milestone_id
                JOIN milestones_milestone m ON m.id = pm.milestone_id
                JOIN ({log}) reg
                  ON reg.tenant_id = c.tenant_id AND reg.account_id = c.account_id
                 AND reg.type = ANY(m.event_types) AND reg.occurred_at <= %(now)s
                LEFT JOIN ({log}) later
                  ON later.tenant_id = reg.tenant_id AND later.account_id = reg.account_id
                 AND later.reference = reg.reference AND later.type = ANY(r.event_types)
                 AND later.occurred_at >= reg.occurred_at
                GROUP BY c.id, reg.id
            ) x
            WHERE x.later_events = 0
        ), fired AS (
            UPDATE milestones_alertcheckpoint c
               SET fired_at = %(now)s,
                   outcome = CASE
                       WHEN NOT a.is_active THEN 'suppressed'
                       WHEN CASE r.condition
                           WHEN 'stalled' THEN c.id IN (SELECT id FROM stalled)
                           WHEN 'below' THEN pm.completed_at IS NULL
                               AND COALESCE(pm.progress, 0) < COALESCE(r.threshold, 100)
                           ELSE pm.completed_at IS NULL
                       END THEN 'raised'
                       ELSE 'clear'
                   END
              FROM due, ({accounts}) a, milestones_partnermilestone pm,
                   milestones_alertrule r, milestones_milestone m
             WHERE c.id = due.id AND a.id = c.account_id AND pm.id = c.partner_milestone_id
               AND r.id = c.rule_id AND m.id = pm.milestone_id
            RETURNING c.id, c.tenant_id, c.account_id, c.partner_milestone_id, c.rule_id,
                      c.due_at, c.outcome
        ), raised AS (
            INSERT INTO milestones_alert
                   (tenant_id, account_id, partner_milestone_id, rule_id, checkpoint_id,
                    due_at, raised_at, status)
            SELECT f.tenant_id, f.account_id, f.partner_milestone_id, f.rule_id, f.id,
                   f.due_at, %(now)s, %(raised)s
            FROM fired f
            WHERE f.outcome = 'raised'
            ON CONFLICT DO NOTHING
            RETURNING id, tenant_id, account_id, rule_id
        )
        SELECT claimed.n, raised.id, raised.tenant_id, raised.account_id, r.kind
        FROM (SELECT count(*) AS n FROM fired) claimed
        LEFT JOIN raised ON true
        LEFT JOIN milestones_alertrule r ON r.id = raised.rule_id
        """,  # noqa: S608 - fixed fragments, values are parameters
        {**params, **log_params, "now": now, "batch": batch, "raised": ALERT_RAISED_STATUS},
    )
    claimed = rows[0][0] if rows else 0
    raised = [(row[1], row[2], row[3], row[4]) for row in rows if row[1] is not None]
    alerts_raised_emit(raised=raised, now=now)  # nothing for programs nobody listens to
    return claimed, raised


def intake_enrollments(*, after_id: int, now: datetime) -> tuple[list[int], int]:
    """Start milestone tracking for partners enrolled in onboarding (enrollment id above
    `after_id`) that have none yet, counting from the enrollment's start.
    Returns the new partner track ids and the highest enrollment id seen."""
    highest = enrollment_last_id_all_tenants()
    enrollments, params = _subquery(
        enrollment_rows_all_tenants(after_id=after_id, up_to_id=highest), "enrollment"
    )
    rows = _fetch(
        f"""
        INSERT INTO milestones_partnertrack
               (tenant_id, account_id, track_id, enrolled_at, activation_due_at, created_at)
        SELECT e.tenant_id, e.account_id, t.id, e.started_at,
               e.started_at + make_interval(days => t.activation_window_days), %(now)s
        FROM ({enrollments}) e
        JOIN milestones_track t
          ON t.tenant_id = e.tenant_id AND t.partner_type_id = e.partner_type_id
        WHERE NOT EXISTS (
              SELECT 1 FROM milestones_partnertrack pt
              WHERE pt.tenant_id = e.tenant_id AND pt.account_id = e.account_id
          )
        ORDER BY e.id
        ON CONFLICT DO NOTHING
        RETURNING id
        """,  # noqa: S608 - fixed fragments, values are parameters
        {**params, "now": now},
    )
    return [row[0] for row in rows], highest


def translate_content_opens(*, since: datetime, now: datetime) -> int:
    """Record the content library's opens (since `since`) as partner events, once each,
    through the partners app (`asset.viewed`, `asset.downloaded`, `article.read`)."""
    return partner_events_record_many(
        source="content",
        types=set(OPEN_EVENT_TYPES.values()),
        rows=content_opens_as_partner_events_all_tenants(since=since),
        now=now,
    )
