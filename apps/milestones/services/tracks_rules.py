"""The milestone tracks editor: a milestone's alert rules (change the day, label or
threshold; add; retire). Tightening never back-fires: checkpoints a change makes past due are
waived unless the editor confirmed "raise now" (`raise_past`). Shares the checks of
tracks_common.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.milestones import verbs
from apps.milestones.models import AlertKind, AlertRule, CompletionKind, Milestone, RuleCondition
from apps.milestones.services import track_sync
from apps.milestones.services.setup import MilestoneError
from apps.milestones.services.tracks_common import (
    MAX_DAY,
    _day,
    _milestone_of,
    _now,
    _record,
    _require_program_admin,
    _resolve_alerts,
    _rule_of,
    _text,
    _track_locked,
    event_types_clean,
)
from apps.tenancy.models import Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User


# --- Alert rules -----------------------------------------------------------------------------


def rule_label(rule: AlertRule) -> str:
    """ "Day 14 · below 50%" style summary of a rule's trigger."""
    if rule.condition == RuleCondition.BELOW:
        return _("Day %(day)d · below %(t)d%%") % {"day": rule.day, "t": rule.threshold or 100}
    if rule.condition == RuleCondition.STALLED:
        return _("Day %(day)d · stalled") % {"day": rule.day}
    if rule.kind == AlertKind.REMINDER:
        return _("Day %(day)d · reminder") % {"day": rule.day}
    return _("Day %(day)d · not done") % {"day": rule.day}


def _threshold(condition: str, threshold: int | None) -> int | None:
    if condition != RuleCondition.BELOW:
        return None
    if threshold is None or not 1 <= threshold <= 100:
        raise MilestoneError(_("A progress threshold is a percentage from 1 to 100."))
    return threshold


def rule_update_past_due(*, tenant: Tenant, track_id: int, rule_id: int, day: int) -> int:
    """How many partners' alerts of this rule moving to `day` would make due now (the
    "raise now for N partners" question); 0 for a bad id (the service then refuses)."""
    rule = AlertRule.objects.filter(
        tenant=tenant, milestone__track_id=track_id, pk=rule_id, active=True
    ).first()
    if rule is None or day >= rule.day or not 1 <= day <= MAX_DAY:
        return 0
    return track_sync.past_due_if_rule_day(rule_id=rule.pk, new_day=day, now=_now())


def rule_add_past_due(*, tenant: Tenant, track_id: int, milestone_id: int, day: int) -> int:
    """How many partners a new rule at `day` on this milestone would alert at once."""
    if not Milestone.objects.filter(tenant=tenant, track_id=track_id, pk=milestone_id).exists():
        return 0
    if not 1 <= day <= MAX_DAY:
        return 0
    return track_sync.past_due_if_added(
        track_id=track_id, day=day, now=_now(), milestone_id=milestone_id
    )


@transaction.atomic
def rule_update(
    *,
    tenant: Tenant,
    actor: User,
    track_id: int,
    rule_id: int,
    day: int,
    label: str,
    threshold: int | None = None,
    raise_past: bool = False,
) -> AlertRule:
    """A rule's day, label and (progress rules) threshold. Partners' checkpoints not yet
    fired move by the same number of days; those the move makes past due are waived, unless
    `raise_past` (the next sweep raises them, once). Alerts already raised stay as they are."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    rule = _rule_of(tenant=tenant, track=track, rule_id=rule_id)
    if not rule.active:
        raise MilestoneError(_("This rule is retired: add a new one instead."))
    after: dict[str, Any] = {
        "day": _day(day, what=_("The alert day")),
        "label": _text(label, what=_("a label"), max_length=200),
        "threshold": _threshold(rule.condition, threshold),
    }
    before: dict[str, Any] = {"day": rule.day, "label": rule.label, "threshold": rule.threshold}
    if before == after:
        return rule
    if (
        AlertRule.objects.filter(
            tenant=tenant, milestone=rule.milestone, day=after["day"], label=after["label"]
        )
        .exclude(pk=rule.pk)
        .exists()
    ):
        raise MilestoneError(_("This milestone already has a rule with that day and label."))
    rule.day, rule.label, rule.threshold = after["day"], after["label"], after["threshold"]
    rule.save(update_fields=["day", "label", "threshold"])
    sync: dict[str, int] = {}
    if before["day"] != after["day"]:
        sync = track_sync.rule_day_moved(
            rule_id=rule.pk,
            old_day=before["day"],
            new_day=after["day"],
            now=_now(),
            raise_past=raise_past,
        )
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CHANGED,
        track=track,
        data={
            "change": "rule",
            "milestone": rule.milestone.key,
            "rule": rule.pk,
            "from": before,
            "to": after,
            "raise_past": raise_past,
            **sync,
        },
    )
    return rule


@transaction.atomic
def rule_add(
    *,
    tenant: Tenant,
    actor: User,
    track_id: int,
    milestone_id: int,
    day: int,
    label: str,
    condition: str = RuleCondition.MISSING,
    threshold: int | None = None,
    event_types: list[str] | None = None,
    event_reference: str = "",
    kind: str = AlertKind.OVERDUE,
    raise_past: bool = False,
) -> AlertRule:
    """A new alert rule on a milestone; every partner on the track gets its checkpoint,
    counted from enrollment. Those already past due are waived unless `raise_past`. A
    retired rule with the same day and label is taken back instead."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    milestone = _milestone_of(tenant=tenant, track=track, milestone_id=milestone_id)
    if condition not in RuleCondition.values:
        raise MilestoneError(_("Choose when it alerts."))
    if kind not in AlertKind.values:
        raise MilestoneError(_("Choose an alert or a reminder."))
    types = event_types_clean(event_types or [])
    if condition == RuleCondition.STALLED and not types:
        raise MilestoneError(
            _("A stall rule needs the events that move an item on (approved, progressed…).")
        )
    if condition == RuleCondition.BELOW and milestone.completion not in (
        CompletionKind.SHARE,
        CompletionKind.ALL_EVENTS,
    ):
        raise MilestoneError(_("Only a milestone measured as a share has a progress threshold."))
    fields: dict[str, Any] = {
        "day": _day(day, what=_("The alert day")),
        "label": _text(label, what=_("a label"), max_length=200),
        "condition": condition,
        "threshold": _threshold(condition, threshold),
        "event_types": types,
        "event_reference": _text(
            event_reference, what=_("a reference"), max_length=200, required=False
        ),
        "kind": kind,
    }
    existing = AlertRule.objects.filter(
        tenant=tenant, milestone=milestone, day=fields["day"], label=fields["label"]
    ).first()
    if existing is not None and existing.active:
        raise MilestoneError(_("This milestone already has a rule with that day and label."))
    if existing is not None:
        rule = existing
        for name, value in fields.items():
            setattr(rule, name, value)
        rule.active = True
        rule.save(update_fields=[*fields, "active"])
    else:
        rule = AlertRule.objects.create(tenant=tenant, milestone=milestone, **fields)
    sync = track_sync.rule_added(rule_id=rule.pk, now=_now(), raise_past=raise_past)
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CHANGED,
        track=track,
        data={
            "change": "rule_added",
            "milestone": milestone.key,
            "rule": rule.pk,
            "from": None,
            "to": {k: v for k, v in fields.items() if v not in (None, "", [])},
            "raise_past": raise_past,
            **sync,
        },
    )
    return rule


@transaction.atomic
def rule_retire(*, tenant: Tenant, actor: User, track_id: int, rule_id: int) -> AlertRule:
    """A rule raises nothing more: its partners' checkpoints not yet fired are waived and its
    open alerts resolved (audited); its history stays."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    rule = _rule_of(tenant=tenant, track=track, rule_id=rule_id)
    if not rule.active:
        return rule
    now = _now()
    rule.active = False
    rule.save(update_fields=["active"])
    waived = track_sync.rule_retired(rule_id=rule.pk, now=now)
    resolved = _resolve_alerts(
        tenant=tenant, actor=actor, now=now, reason="rule_retired", rule=rule
    )
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CHANGED,
        track=track,
        data={
            "change": "rule_retired",
            "milestone": rule.milestone.key,
            "rule": rule.pk,
            "from": {"label": rule.label, "day": rule.day, "active": True},
            "to": {"active": False},
            "checkpoints_waived": waived,
            "alerts_resolved": len(resolved),
        },
    )
    return rule
