"""The milestone tracks editor's writes (/console/settings/milestones/, program admins).

Every service locks the track it edits (`select_for_update`), so two admins editing the same
track at once are served one after the other and the second sees the first's change (an edit
that changes nothing records nothing). Partners already on the track are brought up to date
by the set-based statements of `track_sync`, in the same transaction: an alert already raised
is never raised again, and a change that would make checkpoints past due waives them unless
the editor chose "raise now" (`raise_past`). Every change is audited with before and after.

This module holds the track's settings and activation set, and a milestone's details and
completion; the checks every editor service shares are in tracks_common.py, adding and
removing milestones in tracks_milestones.py, alert rules in tracks_rules.py, starting and
stopping a type's tracking in tracks_start.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.milestones import verbs
from apps.milestones.models import CompletionKind, Milestone, Track
from apps.milestones.services import statements, track_sync
from apps.milestones.services.setup import MilestoneError
from apps.milestones.services.tracks_common import (
    _categories,
    _day,
    _items,
    _milestone_of,
    _now,
    _phase,
    _record,
    _require_program_admin,
    _stage,
    _text,
    _track_locked,
    _window,
    event_types_clean,
)
from apps.tenancy.models import Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User


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
