"""Bringing partners already on a track up to date after the track is edited: one set-based
statement per step, whatever the number of partners.

The rules (DOMAIN §5, issue "tracks editable in the console"):
- an edit applies to partners mid-track from the next sweep; an alert already raised is never
  raised again (its checkpoint has fired and is left alone);
- tightening a rule never back-fires a storm: a checkpoint whose new due moment is already
  past is *waived* (closed without an alert, outcome "waived"), unless the editor confirmed
  "raise now", in which case it is left due and the next sweep raises it;
- a milestone added to a track is added to every partner on it, counted from each partner's
  enrollment, and completed at once by the events they already have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apps.milestones.services import statements
from apps.milestones.services.statements_sql import Applied, _fetch
from apps.partners.selectors import partner_event_rows_all_tenants


def _waive_or_keep(*, where: str, params: dict[str, Any], now: datetime, raise_past: bool) -> int:
    """Checkpoints matched by `where` (open, unfired) that are already due: waived, unless
    `raise_past`. Returns how many are past due (waived or left to raise)."""
    if raise_past:
        rows = _fetch(
            f"""
            SELECT count(*) FROM milestones_alertcheckpoint c
            WHERE {where} AND c.fired_at IS NULL AND c.satisfied_at IS NULL
              AND c.due_at <= %(now)s
            """,  # noqa: S608 - fixed fragments, values are parameters
            {**params, "now": now},
        )
        return int(rows[0][0])
    rows = _fetch(
        f"""
        UPDATE milestones_alertcheckpoint c
           SET fired_at = %(now)s, outcome = 'waived'
         WHERE {where} AND c.fired_at IS NULL AND c.satisfied_at IS NULL
           AND c.due_at <= %(now)s
        RETURNING c.id
        """,  # noqa: S608 - fixed fragments, values are parameters
        {**params, "now": now},
    )
    return len(rows)


def past_due_if_rule_day(*, rule_id: int, new_day: int, now: datetime) -> int:
    """How many partners' open checkpoints of this rule would be past due if it moved to
    `new_day` (the "raise now for N partners" question). One query."""
    rows = _fetch(
        """
        SELECT count(*) FROM milestones_alertcheckpoint c
        JOIN milestones_alertrule r ON r.id = c.rule_id
        WHERE c.rule_id = %(rule)s AND c.fired_at IS NULL AND c.satisfied_at IS NULL
          AND c.due_at + make_interval(days => %(day)s - r.day) <= %(now)s
          AND c.due_at > %(now)s
        """,
        {"rule": rule_id, "day": new_day, "now": now},
    )
    return int(rows[0][0])


def past_due_if_added(
    *, track_id: int, day: int, now: datetime, milestone_id: int | None = None
) -> int:
    """How many partners on the track would have a new rule at `day` already past due
    (with `milestone_id`: only those whose milestone is still open, the ones it could
    alert about)."""
    if milestone_id is not None:
        rows = _fetch(
            """
            SELECT count(*) FROM milestones_partnermilestone pm
            JOIN milestones_partnertrack pt ON pt.id = pm.partner_track_id
            WHERE pm.milestone_id = %(milestone)s AND pm.completed_at IS NULL
              AND pt.enrolled_at + make_interval(days => %(day)s) <= %(now)s
            """,
            {"milestone": milestone_id, "day": day, "now": now},
        )
        return int(rows[0][0])
    rows = _fetch(
        """
        SELECT count(*) FROM milestones_partnertrack pt
        WHERE pt.track_id = %(track)s
          AND pt.enrolled_at + make_interval(days => %(day)s) <= %(now)s
        """,
        {"track": track_id, "day": day, "now": now},
    )
    return int(rows[0][0])


def rule_day_moved(
    *, rule_id: int, old_day: int, new_day: int, now: datetime, raise_past: bool
) -> dict[str, int]:
    """Shift the open checkpoints of a rule whose day changed by the difference (each keeps
    its partner's base: enrollment, or a track switch), then waive those now past due unless
    `raise_past`. Call after saving the rule's new day. Fired checkpoints are untouched."""
    moved = _fetch(
        """
        UPDATE milestones_alertcheckpoint c
           SET due_at = c.due_at + make_interval(days => %(delta)s)
         WHERE c.rule_id = %(rule)s AND c.fired_at IS NULL AND c.satisfied_at IS NULL
        RETURNING c.id
        """,
        {"rule": rule_id, "delta": new_day - old_day},
    )
    # Only the checkpoints the move made past due: one already due under the old day is
    # raised by the next sweep as it would have been (no alert lost).
    past = _waive_or_keep(
        where="c.rule_id = %(rule)s AND c.due_at - make_interval(days => %(delta)s) > %(now)s",
        params={"rule": rule_id, "delta": new_day - old_day},
        now=now,
        raise_past=raise_past,
    )
    return {"moved": len(moved), "past_due": past}


def rule_added(*, rule_id: int, now: datetime, raise_past: bool) -> dict[str, int]:
    """Give every partner with the rule's milestone a checkpoint for a new (or re-activated)
    rule, counted from enrollment; satisfied at once where the milestone is done (unless the
    rule watches for a stall); past due ones waived unless `raise_past`."""
    created = _fetch(
        """
        INSERT INTO milestones_alertcheckpoint
               (tenant_id, account_id, partner_milestone_id, rule_id, due_at, outcome,
                satisfied_at)
        SELECT pm.tenant_id, pm.account_id, pm.id, r.id,
               pt.enrolled_at + make_interval(days => r.day), '',
               CASE WHEN r.condition <> 'stalled' THEN pm.completed_at END
        FROM milestones_alertrule r
        JOIN milestones_partnermilestone pm ON pm.milestone_id = r.milestone_id
        JOIN milestones_partnertrack pt ON pt.id = pm.partner_track_id
        WHERE r.id = %(rule)s AND r.active
        ON CONFLICT DO NOTHING
        RETURNING id
        """,
        {"rule": rule_id},
    )
    # A retired rule taken back: the checkpoints its retirement waived that are not due yet
    # are open again (those past due stay waived).
    reopened = _fetch(
        """
        UPDATE milestones_alertcheckpoint c
           SET fired_at = NULL, outcome = ''
         WHERE c.rule_id = %(rule)s AND c.outcome = 'waived' AND c.due_at > %(now)s
           AND NOT EXISTS (SELECT 1 FROM milestones_alert a WHERE a.checkpoint_id = c.id)
        RETURNING c.account_id
        """,
        {"rule": rule_id, "now": now},
    )
    # A rule with events of its own ("no attempt at day 30") is satisfied at once for the
    # partners who already have one of them (else it would alert on day N regardless).
    own = _fetch(
        """
        SELECT DISTINCT c.account_id FROM milestones_alertcheckpoint c
        JOIN milestones_alertrule r ON r.id = c.rule_id
        WHERE c.rule_id = %(rule)s AND r.condition = 'missing'
          AND cardinality(r.event_types) > 0 AND c.satisfied_at IS NULL AND c.fired_at IS NULL
        """,
        {"rule": rule_id},
    )
    if own:
        statements.apply_events(
            events=partner_event_rows_all_tenants(account_ids=sorted(row[0] for row in own)),
            now=now,
        )
    past = _waive_or_keep(
        where="c.rule_id = %(rule)s", params={"rule": rule_id}, now=now, raise_past=raise_past
    )
    return {"created": len(created), "reopened": len(reopened), "past_due": past}


def rule_retired(*, rule_id: int, now: datetime) -> int:
    """A rule taken off a milestone raises nothing more: its open checkpoints are waived
    (its alerts stay, resolved by the caller). Returns how many were closed."""
    rows = _fetch(
        """
        UPDATE milestones_alertcheckpoint c
           SET fired_at = %(now)s, outcome = 'waived'
         WHERE c.rule_id = %(rule)s AND c.fired_at IS NULL AND c.satisfied_at IS NULL
        RETURNING c.id
        """,
        {"rule": rule_id, "now": now},
    )
    return len(rows)


def window_moved(*, milestone_id: int, from_delta: int, to_delta: int) -> int:
    """Shift the partners' target window of a milestone whose days changed."""
    rows = _fetch(
        """
        UPDATE milestones_partnermilestone
           SET starts_at = starts_at + make_interval(days => %(from_delta)s),
               due_at = due_at + make_interval(days => %(to_delta)s)
         WHERE milestone_id = %(milestone)s
        RETURNING id
        """,
        {"milestone": milestone_id, "from_delta": from_delta, "to_delta": to_delta},
    )
    return len(rows)


def milestone_added(*, milestone_id: int, now: datetime, raise_past: bool) -> dict[str, Any]:
    """Add a milestone new to its track to every partner on the track (dates counted from
    enrollment), with checkpoints for its rules (past due waived unless `raise_past`), then
    apply the partners' events so far (what is already done completes at once)."""
    created = _fetch(
        """
        INSERT INTO milestones_partnermilestone
               (tenant_id, account_id, partner_track_id, milestone_id, starts_at, due_at)
        SELECT pt.tenant_id, pt.account_id, pt.id, m.id,
               pt.enrolled_at + make_interval(days => m.window_from_day),
               pt.enrolled_at + make_interval(days => m.window_to_day)
        FROM milestones_milestone m
        JOIN milestones_partnertrack pt ON pt.track_id = m.track_id
        WHERE m.id = %(milestone)s
        ON CONFLICT DO NOTHING
        RETURNING account_id
        """,
        {"milestone": milestone_id},
    )
    _fetch(
        """
        INSERT INTO milestones_alertcheckpoint
               (tenant_id, account_id, partner_milestone_id, rule_id, due_at, outcome)
        SELECT pm.tenant_id, pm.account_id, pm.id, r.id,
               pt.enrolled_at + make_interval(days => r.day), ''
        FROM milestones_partnermilestone pm
        JOIN milestones_partnertrack pt ON pt.id = pm.partner_track_id
        JOIN milestones_alertrule r ON r.milestone_id = pm.milestone_id AND r.active
        WHERE pm.milestone_id = %(milestone)s
        ON CONFLICT DO NOTHING
        """,
        {"milestone": milestone_id},
    )
    accounts = sorted({row[0] for row in created})
    applied = (
        statements.apply_events(
            events=partner_event_rows_all_tenants(account_ids=accounts), now=now
        )
        if accounts
        else Applied()
    )
    past = _waive_or_keep(
        where="c.partner_milestone_id IN (SELECT id FROM milestones_partnermilestone "
        "WHERE milestone_id = %(milestone)s)",
        params={"milestone": milestone_id},
        now=now,
        raise_past=raise_past,
    )
    return {"partners": len(accounts), "past_due": past, "applied": applied}


def milestone_reapplied(*, milestone_id: int, now: datetime) -> Applied:
    """What completes a milestone changed (event types, stage, items, categories): apply the
    events of every partner with it open again, so that what is already there completes it
    and progress is recounted. Raises nothing by itself."""
    accounts = [
        row[0]
        for row in _fetch(
            "SELECT account_id FROM milestones_partnermilestone "
            "WHERE milestone_id = %(milestone)s AND completed_at IS NULL",
            {"milestone": milestone_id},
        )
    ]
    if not accounts:
        return Applied()
    return statements.apply_events(
        events=partner_event_rows_all_tenants(account_ids=accounts), now=now
    )


def track_partner_accounts(*, track_id: int) -> list[int]:
    """The accounts on a track (to re-check activation after the activation set changed)."""
    return [
        row[0]
        for row in _fetch(
            "SELECT account_id FROM milestones_partnertrack WHERE track_id = %(track)s",
            {"track": track_id},
        )
    ]


def activation_window_changed(*, track_id: int, days: int) -> int:
    """Partners not yet activated nor dark get the new activation deadline (counted from
    enrollment); the next sweep marks dark those it has passed."""
    rows = _fetch(
        """
        UPDATE milestones_partnertrack
           SET activation_due_at = enrolled_at + make_interval(days => %(days)s)
         WHERE track_id = %(track)s AND activated_at IS NULL AND dark_at IS NULL
        RETURNING id
        """,
        {"track": track_id, "days": days},
    )
    return len(rows)
