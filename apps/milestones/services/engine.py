"""The set-based statements behind milestones: one SQL statement per step, whatever the
number of partners it touches.

Every statement is idempotent (`ON CONFLICT DO NOTHING`, or an `UPDATE … WHERE … IS NULL`),
so running a step twice, concurrently, or again after a worker was killed mid-way changes
nothing the second time. The same statements serve the periodic sweep (events recorded
since its last pass) and the services that record an event and apply it at once.

The table names below are constants; only values are parameters.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from apps.audit.models import AuditEvent
from apps.milestones.models import CHECK_OFF_EVENT

# Which events a step reads. The fragments are fixed strings chosen by the caller.
EVENTS_SINCE = "e.created_at >= %(since)s"
EVENTS_BY_ID = "e.id = ANY(%(event_ids)s)"
EVENTS_OF_ACCOUNTS = "e.account_id = ANY(%(account_ids)s)"
_EVENT_FILTERS = frozenset({EVENTS_SINCE, EVENTS_BY_ID, EVENTS_OF_ACCOUNTS})

# An event completes a milestone when it is one of the milestone's event types (and has its
# reference, if the milestone names one), or when it is the CAM's check-off of it.
_COMPLETES = f"""(
    (e.type = ANY(m.event_types) AND (m.event_reference = '' OR e.reference = m.event_reference))
    OR (e.type = '{CHECK_OFF_EVENT}' AND e.reference = 'milestone:' || m.key)
)"""


@dataclass
class Applied:
    """What applying events changed."""

    completed: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (partner milestone id, tenant id, account id, milestone id)
    satisfied: list[int] = field(default_factory=list)  # checkpoint ids
    resolved: list[int] = field(default_factory=list)  # alert ids
    resolved_tenants: set[int] = field(default_factory=set)
    activated: list[tuple[int, int]] = field(default_factory=list)  # (account id, tenant id)

    def merge(self, other: "Applied") -> "Applied":
        self.completed += other.completed
        self.satisfied += other.satisfied
        self.resolved += other.resolved
        self.resolved_tenants |= other.resolved_tenants
        self.activated += other.activated
        return self


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def apply_events(*, where: str, params: dict, now: datetime) -> Applied:
    """Complete milestones, satisfy rules and resolve alerts from the events `where` selects;
    then activate the partners whose activation milestones are now all complete."""
    if where not in _EVENT_FILTERS:
        raise ValueError("unknown event filter")
    applied = Applied()
    applied.completed = [
        tuple(row)
        for row in _fetch(
            f"""
            WITH hits AS (
                SELECT DISTINCT ON (pm.id)
                       pm.id AS pm_id, e.id AS event_id, e.occurred_at, e.recorded_by_id
                FROM partners_partnerevent e
                JOIN milestones_partnermilestone pm
                  ON pm.tenant_id = e.tenant_id AND pm.account_id = e.account_id
                 AND pm.completed_at IS NULL
                JOIN milestones_milestone m ON m.id = pm.milestone_id
                WHERE {where} AND {_COMPLETES}
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
            params,
        )
    ]
    # Rules with events of their own ("no certification attempt at day 30").
    satisfied = _fetch(
        f"""
        WITH hits AS (
            SELECT DISTINCT ON (c.id) c.id AS cp_id, e.occurred_at
            FROM partners_partnerevent e
            JOIN milestones_alertcheckpoint c
              ON c.tenant_id = e.tenant_id AND c.account_id = e.account_id
             AND c.satisfied_at IS NULL
            JOIN milestones_alertrule r ON r.id = c.rule_id
            WHERE {where}
              AND e.type = ANY(r.event_types)
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
        resolved = _fetch(
            """
            UPDATE milestones_alert a
               SET status = 'resolved', resolved_at = %(now)s
             WHERE a.checkpoint_id = ANY(%(cp_ids)s) AND a.resolved_at IS NULL
            RETURNING a.id, a.tenant_id, a.account_id,
                      (SELECT r.label FROM milestones_alertrule r WHERE r.id = a.rule_id)
            """,
            {"cp_ids": applied.satisfied, "now": now},
        )
        applied.resolved = [row[0] for row in resolved]
        applied.resolved_tenants = {row[1] for row in resolved}
        _audit_many(
            [
                (tenant_id, account_id, "alert.resolved", "milestones.alert", alert_id, label)
                for alert_id, tenant_id, account_id, label in resolved
            ]
        )
    if applied.completed:
        applied.activated = activate(account_ids=sorted({row[2] for row in applied.completed}))
    return applied


def activate(*, account_ids: list[int]) -> list[tuple[int, int]]:
    """Mark activated the partners (among `account_ids`) whose track's activation milestones
    are all complete, at the moment the last of them completed. Clears the dark flag."""
    rows = _fetch(
        """
        WITH done AS (
            SELECT pt.id AS pt_id, pt.account_id, max(pm.completed_at) AS at
            FROM milestones_partnertrack pt
            JOIN milestones_trackmilestone tm
              ON tm.track_id = pt.track_id AND tm.counts_for_activation
            JOIN milestones_partnermilestone pm
              ON pm.partner_track_id = pt.id AND pm.milestone_id = tm.milestone_id
            WHERE pt.account_id = ANY(%(account_ids)s) AND pt.activated_at IS NULL
            GROUP BY pt.id, pt.account_id
            HAVING bool_and(pm.completed_at IS NOT NULL)
        ), tracks AS (
            UPDATE milestones_partnertrack pt
               SET activated_at = done.at
              FROM done
             WHERE pt.id = done.pt_id AND pt.activated_at IS NULL
            RETURNING pt.account_id, done.at
        )
        UPDATE partners_partneraccount a
           SET activated_at = COALESCE(a.activated_at, tracks.at), dark_since = NULL
          FROM tracks
         WHERE a.id = tracks.account_id
        RETURNING a.id, a.tenant_id, a.name
        """,
        {"account_ids": account_ids},
    )
    _audit_many(
        [
            (
                tenant_id,
                account_id,
                "partner.activated",
                "partners.partneraccount",
                account_id,
                name,
            )
            for account_id, tenant_id, name in rows
        ]
    )
    return [(row[0], row[1]) for row in rows]


def materialise(*, partner_track_ids: list[int], now: datetime) -> Applied:
    """Create the partner milestones and rule checkpoints of new partner tracks, with their
    dates counted from enrollment; then apply the partners' events recorded so far."""
    if not partner_track_ids:
        return Applied()
    params = {"ids": partner_track_ids}
    _fetch(
        """
        INSERT INTO milestones_partnermilestone
               (tenant_id, account_id, partner_track_id, milestone_id, starts_at, due_at)
        SELECT pt.tenant_id, pt.account_id, pt.id, m.id,
               pt.enrolled_at + make_interval(days => m.window_from_day),
               pt.enrolled_at + make_interval(days => m.window_to_day)
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
               pt.enrolled_at + make_interval(days => r.day), ''
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
    return apply_events(where=EVENTS_OF_ACCOUNTS, params={"account_ids": accounts}, now=now)


def mark_dark(*, now: datetime, account_ids: list[int] | None = None) -> list[tuple[int, int]]:
    """Partners whose activation window ran out without activation go dark (once)."""
    only = "AND pt.account_id = ANY(%(account_ids)s)" if account_ids is not None else ""
    rows = _fetch(
        f"""
        WITH due AS (
            UPDATE milestones_partnertrack pt
               SET dark_at = pt.activation_due_at
             WHERE pt.activation_due_at <= %(now)s
               AND pt.activated_at IS NULL AND pt.dark_at IS NULL {only}
            RETURNING pt.account_id, pt.dark_at
        )
        UPDATE partners_partneraccount a
           SET dark_since = due.dark_at
          FROM due
         WHERE a.id = due.account_id AND a.activated_at IS NULL
        RETURNING a.id, a.tenant_id, a.name
        """,  # noqa: S608 - fixed fragment, values are parameters
        {"now": now, "account_ids": account_ids},
    )
    _audit_many(
        [
            (
                tenant_id,
                account_id,
                "partner.went_dark",
                "partners.partneraccount",
                account_id,
                name,
            )
            for account_id, tenant_id, name in rows
        ]
    )
    return [(row[0], row[1]) for row in rows]


def raise_due(*, now: datetime, batch: int) -> tuple[int, list[tuple[int, int, int, str]]]:
    """Claim up to `batch` due checkpoints and raise their alerts, in one statement.

    The partial index on `due_at WHERE fired_at IS NULL AND satisfied_at IS NULL` finds
    them; `FOR UPDATE SKIP LOCKED` lets two sweeps share the work, and the unique
    constraint on (tenant, partner milestone, rule) makes a second alert impossible anyway.
    Suspended partners' checkpoints are closed without an alert.
    Returns how many checkpoints were claimed, and (alert id, tenant id, account id, rule
    kind) of each alert raised.
    """
    rows = _fetch(
        """
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
                   outcome = CASE WHEN a.status = 'active' AND pm.completed_at IS NULL
                                  THEN 'raised' ELSE 'suppressed' END
              FROM due, partners_partneraccount a, milestones_partnermilestone pm
             WHERE c.id = due.id AND a.id = c.account_id AND pm.id = c.partner_milestone_id
            RETURNING c.id, c.tenant_id, c.account_id, c.partner_milestone_id, c.rule_id,
                      c.due_at, c.outcome
        ), raised AS (
            INSERT INTO milestones_alert
                   (tenant_id, account_id, partner_milestone_id, rule_id, checkpoint_id,
                    due_at, raised_at, status)
            SELECT f.tenant_id, f.account_id, f.partner_milestone_id, f.rule_id, f.id,
                   f.due_at, %(now)s, 'open'
            FROM fired f
            WHERE f.outcome = 'raised'
            ON CONFLICT DO NOTHING
            RETURNING id, tenant_id, account_id, rule_id
        )
        SELECT claimed.n, raised.id, raised.tenant_id, raised.account_id, r.kind
        FROM (SELECT count(*) AS n FROM fired) claimed
        LEFT JOIN raised ON true
        LEFT JOIN milestones_alertrule r ON r.id = raised.rule_id
        """,
        {"now": now, "batch": batch},
    )
    claimed = rows[0][0] if rows else 0
    return claimed, [tuple(row[1:]) for row in rows if row[1] is not None]


def intake_enrollments(*, after_id: int, now: datetime) -> tuple[list[int], int]:
    """Start milestone tracking for partners enrolled in onboarding (enrollment id above
    `after_id`) that have none yet, counting from the enrollment's start.
    Returns the new partner track ids and the highest enrollment id seen."""
    highest = _fetch("SELECT COALESCE(max(id), 0) FROM onboarding_enrollment", {})[0][0]
    rows = _fetch(
        """
        INSERT INTO milestones_partnertrack
               (tenant_id, account_id, track_id, enrolled_at, activation_due_at, created_at)
        SELECT e.tenant_id, e.partner_account_id, t.id, e.started_at,
               e.started_at + make_interval(days => t.activation_window_days), %(now)s
        FROM onboarding_enrollment e
        JOIN partners_partneraccount a
          ON a.id = e.partner_account_id AND a.tenant_id = e.tenant_id
        JOIN milestones_track t
          ON t.tenant_id = e.tenant_id AND t.partner_type_id = a.partner_type_id
        WHERE e.id > %(after_id)s AND e.id <= %(highest)s
          AND NOT EXISTS (
              SELECT 1 FROM milestones_partnertrack pt
              WHERE pt.tenant_id = e.tenant_id AND pt.account_id = e.partner_account_id
          )
        ORDER BY e.id
        ON CONFLICT DO NOTHING
        RETURNING id
        """,
        {"after_id": after_id, "highest": highest, "now": now},
    )
    return [row[0] for row in rows], highest


def translate_content_opens(*, since: datetime, now: datetime) -> int:
    """Record the content library's opens as partner events (`asset.viewed`,
    `asset.downloaded`, `article.read`), once each: the open's id is the idempotency key.
    One index range scan per tenant on (tenant, created_at)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO partners_partnerevent
                   (tenant_id, account_id, type, occurred_at, source, reference, data,
                    idempotency_key, recorded_by_id, created_at)
            SELECT o.tenant_id, o.partner_account_id,
                   CASE o.kind WHEN 'download' THEN 'asset.downloaded'
                               WHEN 'view' THEN 'asset.viewed'
                               ELSE 'article.read' END,
                   o.created_at, 'content',
                   CASE WHEN o.asset_id IS NOT NULL THEN 'asset:' || o.asset_id
                        ELSE 'article:' || o.article_id END,
                   jsonb_build_object('title', COALESCE(s.title, r.title)),
                   'content-open:' || o.id, o.user_id, %(now)s
            FROM tenancy_tenant t
            JOIN LATERAL (
                SELECT * FROM content_contentopen o
                WHERE o.tenant_id = t.id AND o.created_at >= %(since)s
            ) o ON true
            LEFT JOIN content_asset s ON s.id = o.asset_id
            LEFT JOIN content_article r ON r.id = o.article_id
            ON CONFLICT (tenant_id, idempotency_key) WHERE NOT (idempotency_key = '')
            DO NOTHING
            """,
            {"since": since, "now": now},
        )
        return cursor.rowcount


def _audit_many(rows: list[tuple]) -> None:
    """System audit events for a set-based change, in one INSERT.

    rows: (tenant id, partner id, verb, target type, target id, target label).
    """
    if not rows:
        return
    AuditEvent.objects.bulk_create(
        AuditEvent(
            tenant_id=tenant_id,
            actor=None,
            actor_label="system",
            verb=verb,
            target_type=target_type,
            target_id=str(target_id),
            target_label=(label or "")[:300],
            partner_id=partner_id,
            data={},
        )
        for tenant_id, partner_id, verb, target_type, target_id, label in rows
    )
