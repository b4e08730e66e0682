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

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from apps.audit.services import AuditEntry, audit_record_many
from apps.content.selectors import OPEN_EVENT_TYPES, content_opens_as_partner_events_all_tenants
from apps.milestones import verbs
from apps.milestones.models import Alert
from apps.milestones.services.alerts import ALERT_RAISED_STATUS, ALERT_TRANSITIONS
from apps.onboarding.selectors import enrollment_last_id_all_tenants, enrollment_rows_all_tenants
from apps.partners.selectors import (
    partner_account_activity_all_tenants,
    partner_event_rows_all_tenants,
)
from apps.partners.services import (
    partner_accounts_activate_many,
    partner_accounts_mark_dark_many,
    partner_events_record_many,
)

Params = dict[str, Any]

# An event completes a milestone when it is one of the milestone's event types (and has its
# reference, if the milestone names one), or when it is the CAM's check-off of it.
_COMPLETES = """(
    (e.type = ANY(m.event_types) AND (m.event_reference = '' OR e.reference = m.event_reference))
    OR (e.type = %(check_off_type)s AND e.reference = 'milestone:' || m.key)
)"""

_PLACEHOLDER = re.compile(r"%%|%s")


def _subquery(rows: QuerySet[Any, Any], prefix: str) -> tuple[str, Params]:
    """Another app's queryset as SQL for a subquery here, its positional parameters renamed
    `<prefix><n>` so that it can sit in a statement with named ones.

    Raises `EmptyResultSet` when the queryset can match nothing (e.g. `id__in=[]`)."""
    sql, values = rows.query.sql_with_params()
    params: Params = {}

    def rename(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%%"
        name = f"{prefix}{len(params)}"
        params[name] = values[len(params)]
        return f"%({name})s"

    named = _PLACEHOLDER.sub(rename, sql)
    if len(params) != len(values):
        raise ValueError("the subquery's parameters do not match its placeholders")
    return named, params


@dataclass
class Applied:
    """What applying events changed."""

    completed: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (partner milestone id, tenant id, account id, milestone id)
    satisfied: list[int] = field(default_factory=list)  # checkpoint ids
    resolved: list[int] = field(default_factory=list)  # alert ids
    resolved_tenants: set[int] = field(default_factory=set)
    activated: list[tuple[int, int]] = field(default_factory=list)  # (account id, tenant id)

    def merge(self, other: Applied) -> Applied:
        self.completed += other.completed
        self.satisfied += other.satisfied
        self.resolved += other.resolved
        self.resolved_tenants |= other.resolved_tenants
        self.activated += other.activated
        return self


def _fetch(sql: str, params: Params | Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


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
    # Rules with events of their own ("no certification attempt at day 30").
    satisfied = _fetch(
        f"""
        WITH hits AS (
            SELECT DISTINCT ON (c.id) c.id AS cp_id, e.occurred_at
            FROM ({events_sql}) e
            JOIN milestones_alertcheckpoint c
              ON c.tenant_id = e.tenant_id AND c.account_id = e.account_id
             AND c.satisfied_at IS NULL
            JOIN milestones_alertrule r ON r.id = c.rule_id
            WHERE e.type = ANY(r.event_types)
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
    if applied.completed:
        # A completed milestone satisfies every one of its rules.
        applied.satisfied += [
            row[0]
            for row in _fetch(
                """
                UPDATE milestones_alertcheckpoint c
                   SET satisfied_at = pm.completed_at
                  FROM milestones_partnermilestone pm
                 WHERE pm.id = ANY(%(pm_ids)s) AND c.partner_milestone_id = pm.id
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
                JOIN milestones_trackmilestone tm
                  ON tm.track_id = pt.track_id AND tm.counts_for_activation
                JOIN milestones_partnermilestone pm
                  ON pm.partner_track_id = pt.id AND pm.milestone_id = tm.milestone_id
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
        JOIN milestones_trackmilestone tm ON tm.track_id = pt.track_id
        JOIN milestones_milestone m ON m.id = tm.milestone_id
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
        JOIN milestones_alertrule r ON r.milestone_id = pm.milestone_id
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


def raise_due(*, now: datetime, batch: int) -> tuple[int, list[tuple[int, int, int, str]]]:
    """Claim up to `batch` due checkpoints and raise their alerts, in one statement.

    The partial index on `due_at WHERE fired_at IS NULL AND satisfied_at IS NULL` finds
    them; `FOR UPDATE SKIP LOCKED` lets two sweeps share the work, and the unique
    constraint on (tenant, partner milestone, rule) makes a second alert impossible anyway.
    Suspended partners' checkpoints are closed without an alert.
    Returns how many checkpoints were claimed, and (alert id, tenant id, account id, rule
    kind) of each alert raised.
    """
    accounts, params = _subquery(partner_account_activity_all_tenants(), "account")
    rows = _fetch(
        f"""
        WITH due AS (
            SELECT c.id
            FROM milestones_alertcheckpoint c
            WHERE c.due_at <= %(now)s AND c.fired_at IS NULL AND c.satisfied_at IS NULL
            ORDER BY c.due_at
            LIMIT %(batch)s
            FOR UPDATE SKIP LOCKED
        ), fired AS (
            UPDATE milestones_alertcheckpoint c
               SET fired_at = %(now)s,
                   outcome = CASE WHEN a.is_active AND pm.completed_at IS NULL
                                  THEN 'raised' ELSE 'suppressed' END
              FROM due, ({accounts}) a, milestones_partnermilestone pm
             WHERE c.id = due.id AND a.id = c.account_id AND pm.id = c.partner_milestone_id
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
        {**params, "now": now, "batch": batch, "raised": ALERT_RAISED_STATUS},
    )
    claimed = rows[0][0] if rows else 0
    return claimed, [(row[1], row[2], row[3], row[4]) for row in rows if row[1] is not None]


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
