"""Progress of the milestones that count a share of items (orientation) or need every one of
their events (profile complete and first sign-in): one set-based statement."""

from __future__ import annotations

from typing import Any

from apps.milestones.services.statements_sql import Params, _fetch, _subquery
from apps.onboarding.selectors import action_rows_all_tenants
from apps.partners.selectors import partner_event_rows_all_tenants


def progress_update(*, events_sql: str, params: Params) -> list[tuple[Any, ...]]:
    """Recompute the progress of the open SHARE and ALL_EVENTS milestones that `events`
    touch, from their partners' whole event log; complete those that reach 100% (at the
    moment their last item was first done). Returns (partner milestone id, tenant id,
    account id, milestone id, completed_at or None) of each row updated.

    ALL_EVENTS: the items are the milestone's event types (with its reference, if any).
    SHARE: the items are the milestone's `items` and the live actions of its `stage`
    (`action:<id>`); an event of one of its types with the item as reference marks it done.
    A SHARE milestone with no items has no progress (NULL): the tracks editor says so.
    """
    accounts = [
        row[0]
        for row in _fetch(
            f"""
            SELECT DISTINCT pm.account_id
            FROM ({events_sql}) e
            JOIN milestones_partnermilestone pm
              ON pm.tenant_id = e.tenant_id AND pm.account_id = e.account_id
             AND pm.completed_at IS NULL
            JOIN milestones_milestone m ON m.id = pm.milestone_id
            WHERE m.completion IN ('share', 'all_events') AND e.type = ANY(m.event_types)
            """,  # noqa: S608 - fixed fragments, values are parameters
            params,
        )
    ]
    if not accounts:
        return []
    log, log_params = _subquery(partner_event_rows_all_tenants(account_ids=accounts), "log")
    actions, action_params = _subquery(action_rows_all_tenants(), "action")
    return _fetch(
        f"""
        WITH cand AS (
            SELECT pm.id, pm.tenant_id, pm.account_id, m.completion, m.event_types,
                   m.event_reference, m.items, m.stage_id
            FROM milestones_partnermilestone pm
            JOIN milestones_milestone m ON m.id = pm.milestone_id
            WHERE pm.account_id = ANY(%(accounts)s) AND pm.completed_at IS NULL
              AND m.completion IN ('share', 'all_events')
        ), req AS (
            SELECT c.id AS pm_id, x.item
            FROM cand c
            CROSS JOIN LATERAL unnest(
                CASE WHEN c.completion = 'all_events' THEN c.event_types ELSE c.items END
            ) AS x(item)
            UNION
            SELECT c.id, 'action:' || a.id
            FROM cand c JOIN ({actions}) a ON a.stage_id = c.stage_id AND a.tenant_id = c.tenant_id
            WHERE c.completion = 'share'
        ), firsts AS (
            SELECT r.pm_id, r.item,
                   (array_agg(e.id ORDER BY e.occurred_at, e.id))[1] AS event_id,
                   min(e.occurred_at) AS at
            FROM req r
            JOIN cand c ON c.id = r.pm_id
            LEFT JOIN ({log}) e
              ON e.tenant_id = c.tenant_id AND e.account_id = c.account_id
             AND e.type = ANY(c.event_types)
             AND CASE WHEN c.completion = 'all_events'
                      THEN e.type = r.item
                           AND (c.event_reference = '' OR e.reference = c.event_reference)
                      ELSE e.reference = r.item END
            GROUP BY r.pm_id, r.item
        ), agg AS (
            SELECT pm_id, (100 * count(at) / count(*))::smallint AS progress,
                   count(at) = count(*) AS complete,
                   max(at) AS last_at,
                   (array_agg(event_id ORDER BY at DESC NULLS LAST, event_id DESC))[1]
                       AS last_event_id
            FROM firsts GROUP BY pm_id
        )
        UPDATE milestones_partnermilestone pm
           SET progress = agg.progress,
               completed_at = CASE WHEN agg.complete THEN agg.last_at END,
               completion_event_id = CASE WHEN agg.complete THEN agg.last_event_id END,
               completed_by_id = CASE WHEN agg.complete THEN (
                   SELECT e.recorded_by_id FROM ({log}) e WHERE e.id = agg.last_event_id
               ) END
          FROM agg
         WHERE pm.id = agg.pm_id AND pm.completed_at IS NULL
           AND (pm.progress IS DISTINCT FROM agg.progress OR agg.complete)
        RETURNING pm.id, pm.tenant_id, pm.account_id, pm.milestone_id, pm.completed_at
        """,  # noqa: S608 - fixed fragments, values are parameters
        {**log_params, **action_params, "accounts": accounts},
    )
