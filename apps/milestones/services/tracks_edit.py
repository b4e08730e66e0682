"""The milestone tracks editor's writes (/console/settings/milestones/, program admins).

Every service locks the track it edits (`select_for_update`), so two admins editing the same
track at once are served one after the other and the second sees the first's change (an edit
that changes nothing records nothing). Partners already on the track are brought up to date
by the set-based statements of `track_sync`, in the same transaction: an alert already raised
is never raised again, and a change that would make checkpoints past due waives them unless
the editor chose "raise now" (`raise_past`). Every change is audited with before and after.

This module holds the checks every editor service shares, the track's settings and activation
set, and a milestone's details and completion; adding and removing milestones is in
tracks_milestones.py, alert rules in tracks_rules.py, starting and stopping a type's tracking
in tracks_start.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.content.models import AssetCategory
from apps.milestones import verbs
from apps.milestones.alert_badge import alerts_changed
from apps.milestones.models import (
    Alert,
    AlertRule,
    CompletionKind,
    Milestone,
    Phase,
    Track,
)
from apps.milestones.services import statements, track_sync
from apps.milestones.services.alerts import ALERT_TRANSITIONS
from apps.milestones.services.setup import MilestoneError
from apps.onboarding.models import Stage
from apps.partners.verbs import EVENT_TYPES
from apps.tenancy.models import Membership, Role, Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User

MAX_DAY = 365
# The shape the API accepts for an external system's own event types (apps/api/openapi.py,
# a higher layer: repeated here).
EXTERNAL_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
# Completion kinds a milestone added in the editor may have (an action or a stage is named
# through SHARE's stage, or an event's reference).
ADDABLE_COMPLETIONS = (
    CompletionKind.EVENT,
    CompletionKind.ALL_EVENTS,
    CompletionKind.SHARE,
    CompletionKind.CHECK_OFF,
)


# --- Checks ----------------------------------------------------------------------------------


def _require_program_admin(*, tenant: Tenant, actor: User | None) -> None:
    if (
        actor is None
        or not Membership.objects.filter(
            tenant=tenant, user=actor, role=Role.PROGRAM_ADMIN, is_active=True
        ).exists()
    ):
        raise MilestoneError(_("Only the program’s admins can change its milestone tracks."))


def _track_locked(*, tenant: Tenant, track_id: int) -> Track:
    track = (
        Track.objects.select_for_update(of=("self",))
        .select_related("partner_type")
        .filter(tenant=tenant, pk=track_id)
        .first()
    )
    if track is None:
        raise MilestoneError(_("Unknown milestone track."))
    return track


def _milestone_of(*, tenant: Tenant, track: Track, milestone_id: int) -> Milestone:
    milestone = Milestone.objects.filter(tenant=tenant, track=track, pk=milestone_id).first()
    if milestone is None:
        raise MilestoneError(_("Unknown milestone."))
    return milestone


def _rule_of(*, tenant: Tenant, track: Track, rule_id: int) -> AlertRule:
    rule = (
        AlertRule.objects.filter(tenant=tenant, milestone__track=track, pk=rule_id)
        .select_related("milestone")
        .first()
    )
    if rule is None:
        raise MilestoneError(_("Unknown alert rule."))
    return rule


def _day(value: int, *, what: str) -> int:
    if not 1 <= value <= MAX_DAY:
        raise MilestoneError(
            _("%(what)s must be a day from 1 to %(max)d.") % {"what": what, "max": MAX_DAY}
        )
    return value


def _text(value: str, *, what: str, max_length: int, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise MilestoneError(_("Give it %(what)s.") % {"what": what})
    if len(text) > max_length:
        raise MilestoneError(
            _("Use at most %(max)d characters for %(what)s.") % {"max": max_length, "what": what}
        )
    return text


def _window(window_from_day: int, window_to_day: int) -> tuple[int, int]:
    if not 0 <= window_from_day <= MAX_DAY or not 1 <= window_to_day <= MAX_DAY:
        raise MilestoneError(
            _("A target window runs from day 0 to day %(max)d at most.") % {"max": MAX_DAY}
        )
    if window_from_day > window_to_day:
        raise MilestoneError(_("The target window must start on or before the day it ends."))
    return window_from_day, window_to_day


def _phase(value: int) -> int:
    if value not in Phase.values:
        raise MilestoneError(_("Choose a phase from 1 to 5."))
    return value


def event_types_clean(values: Iterable[str]) -> list[str]:
    """Declared event types, or an external system's own (`crm.opportunity_won`); in order,
    without repeats."""
    cleaned: list[str] = []
    for raw in values:
        value = (raw or "").strip()
        if not value or value in cleaned:
            continue
        if value not in EVENT_TYPES and not EXTERNAL_EVENT_TYPE.match(value):
            raise MilestoneError(
                _(
                    "“%(type)s” is not an event type: use a listed one, or lowercase words "
                    "joined by dots, as an external system sends it (e.g. crm.deal_won)."
                )
                % {"type": value}
            )
        if len(value) > 80:
            raise MilestoneError(_("Event types have at most 80 characters."))
        cleaned.append(value)
    return cleaned


def _categories(values: Iterable[str]) -> list[str]:
    cleaned = []
    for value in values:
        if value not in AssetCategory.values:
            raise MilestoneError(_("Unknown content category “%(c)s”.") % {"c": value})
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def _items(values: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in values:
        value = (raw or "").strip()
        if not value or value in cleaned:
            continue
        if len(value) > 200:
            raise MilestoneError(_("An item reference has at most 200 characters."))
        cleaned.append(value)
    return cleaned


def _stage(*, tenant: Tenant, stage_id: int | None) -> Stage | None:
    if stage_id is None:
        return None
    stage = Stage.objects.filter(tenant=tenant, pk=stage_id, archived_at__isnull=True).first()
    if stage is None:
        raise MilestoneError(_("Choose a stage of one of the program’s pipelines."))
    return stage


def _now() -> Any:
    return timezone.now()


def _record(
    *, tenant: Tenant, actor: User | None, verb: str, track: Track, data: dict[str, Any]
) -> None:
    audit_record(tenant=tenant, actor=actor, verb=verb, target=track, data=data)


def _resolve_alerts(
    *, tenant: Tenant, actor: User, now: Any, reason: str, **where: Any
) -> list[int]:
    """Resolve the unresolved alerts matched by `where` (the "resolve" transition, as
    setup's `_resolve_dropped_alerts`), each audited with from and to."""
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


# --- Track settings --------------------------------------------------------------------------


@transaction.atomic
def track_settings_update(
    *,
    tenant: Tenant,
    actor: User,
    track_id: int,
    activation_window_days: int,
    priority_sequence: list[str],
    critical_first_milestone: str,
) -> Track:
    """The activation window (1–365 days: partners not yet activated nor dark get the new
    deadline, counted from their enrollment), the priority sequence and the critical first
    milestone."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    days = _day(activation_window_days, what=_("The activation window"))
    sequence = [
        _text(step, what=_("a step"), max_length=200)
        for step in priority_sequence
        if (step or "").strip()
    ]
    critical = _text(
        critical_first_milestone,
        what=_("the critical first milestone"),
        max_length=300,
        required=False,
    )
    before: dict[str, Any] = {
        "activation_window_days": track.activation_window_days,
        "priority_sequence": list(track.priority_sequence),
        "critical_first_milestone": track.critical_first_milestone,
    }
    after: dict[str, Any] = {
        "activation_window_days": days,
        "priority_sequence": sequence,
        "critical_first_milestone": critical,
    }
    if before == after:
        return track
    track.activation_window_days = days
    track.priority_sequence = sequence
    track.critical_first_milestone = critical
    track.save(
        update_fields=["activation_window_days", "priority_sequence", "critical_first_milestone"]
    )
    moved = 0
    if before["activation_window_days"] != days:
        # The next sweep marks dark those whose new deadline has passed.
        moved = track_sync.activation_window_changed(track_id=track.pk, days=days)
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CHANGED,
        track=track,
        data={"change": "settings", "from": before, "to": after, "partners_updated": moved},
    )
    return track


@transaction.atomic
def track_activation_set(
    *, tenant: Tenant, actor: User, track_id: int, milestone_ids: list[int]
) -> Track:
    """Which milestones make a partner on this track activated (at least one). Partners who
    now qualify are activated at once; an activation already recorded is never taken back."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    rows = dict(
        Milestone.objects.filter(tenant=tenant, track=track).values_list(
            "pk", "counts_for_activation"
        )
    )
    wanted = set(milestone_ids)
    if not wanted:
        raise MilestoneError(_("At least one milestone must count for activation."))
    if not wanted <= set(rows):
        raise MilestoneError(_("Unknown milestone."))
    before = sorted(pk for pk, counts in rows.items() if counts)
    if before == sorted(wanted):
        return track
    Milestone.objects.filter(tenant=tenant, track=track).exclude(pk__in=wanted).update(
        counts_for_activation=False
    )
    Milestone.objects.filter(tenant=tenant, track=track, pk__in=wanted).update(
        counts_for_activation=True
    )
    activated = statements.activate(
        account_ids=track_sync.track_partner_accounts(track_id=track.pk)
    )
    keys = dict(Milestone.objects.filter(tenant=tenant, track=track).values_list("pk", "key"))
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CHANGED,
        track=track,
        data={
            "change": "activation",
            "from": [keys[pk] for pk in before],
            "to": [keys[pk] for pk in sorted(wanted)],
            "partners_activated": len(activated),
        },
    )
    return track


# --- A milestone -----------------------------------------------------------------------------


@transaction.atomic
def milestone_update(
    *,
    tenant: Tenant,
    actor: User,
    track_id: int,
    milestone_id: int,
    name: str,
    phase: int,
    window_from_day: int,
    window_to_day: int,
    responsible: str,
) -> Milestone:
    """A milestone's name, phase, target window and responsible party. Partners on the track
    get their target dates moved by the same number of days."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    milestone = _milestone_of(tenant=tenant, track=track, milestone_id=milestone_id)
    after: dict[str, Any] = {
        "name": _text(name, what=_("a name"), max_length=200),
        "phase": _phase(phase),
        "window": list(_window(window_from_day, window_to_day)),
        "responsible": _text(
            responsible, what=_("a responsible party"), max_length=200, required=False
        ),
    }
    before: dict[str, Any] = {
        "name": milestone.name,
        "phase": milestone.phase,
        "window": [milestone.window_from_day, milestone.window_to_day],
        "responsible": milestone.responsible,
    }
    if before == after:
        return milestone
    milestone.name = after["name"]
    milestone.phase = after["phase"]
    milestone.window_from_day, milestone.window_to_day = after["window"]
    milestone.responsible = after["responsible"]
    milestone.save(
        update_fields=["name", "phase", "window_from_day", "window_to_day", "responsible"]
    )
    if before["window"] != after["window"]:
        track_sync.window_moved(
            milestone_id=milestone.pk,
            from_delta=after["window"][0] - before["window"][0],
            to_delta=after["window"][1] - before["window"][1],
        )
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CHANGED,
        track=track,
        data={"change": "milestone", "milestone": milestone.key, "from": before, "to": after},
    )
    return milestone


@transaction.atomic
def milestone_completion_update(
    *,
    tenant: Tenant,
    actor: User,
    track_id: int,
    milestone_id: int,
    event_types: list[str],
    event_reference: str = "",
    stage_id: int | None = None,
    items: list[str] | None = None,
    content_categories: list[str] | None = None,
) -> Milestone:
    """What completes a milestone: its event types (with a reference), for a SHARE milestone
    the orientation stage and/or extra items, the content categories whose opens count.
    Partners with it open get their events applied again: what is already there completes
    it (no alert is raised by the change itself)."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    milestone = _milestone_of(tenant=tenant, track=track, milestone_id=milestone_id)
    types = event_types_clean(event_types)
    if milestone.completion != CompletionKind.CHECK_OFF and not types:
        raise MilestoneError(_("Choose at least one event that completes it."))
    stage = _stage(tenant=tenant, stage_id=stage_id)
    share_items = _items(items or [])
    if milestone.completion != CompletionKind.SHARE and (stage is not None or share_items):
        raise MilestoneError(_("Only a milestone measured as a share has a stage or items."))
    after: dict[str, Any] = {
        "event_types": types,
        "event_reference": _text(
            event_reference, what=_("a reference"), max_length=200, required=False
        ),
        "stage": stage.pk if stage is not None else None,
        "items": share_items,
        "content_categories": _categories(content_categories or []),
    }
    before: dict[str, Any] = {
        "event_types": list(milestone.event_types),
        "event_reference": milestone.event_reference,
        "stage": milestone.stage_id,
        "items": list(milestone.items),
        "content_categories": list(milestone.content_categories),
    }
    if before == after:
        return milestone
    milestone.event_types = after["event_types"]
    milestone.event_reference = after["event_reference"]
    milestone.stage = stage
    milestone.items = after["items"]
    milestone.content_categories = after["content_categories"]
    milestone.save(
        update_fields=["event_types", "event_reference", "stage", "items", "content_categories"]
    )
    applied = track_sync.milestone_reapplied(milestone_id=milestone.pk, now=_now())
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CHANGED,
        track=track,
        data={
            "change": "completion",
            "milestone": milestone.key,
            "from": before,
            "to": after,
            "partners_completed": len(applied.completed),
        },
    )
    return milestone
