"""The milestone tracks editor's shared checks: every editor service (tracks_edit.py,
tracks_milestones.py, tracks_rules.py, tracks_start.py) requires a program admin, locks the
track it edits, finds the milestone or rule on it, and cleans days, windows, phases, texts,
event types, content categories, items and stages the same way; it records its change with
`_record` and resolves alerts a change makes moot with `_resolve_alerts`. Also the limits the
editor's forms share (`MAX_DAY`, `ADDABLE_COMPLETIONS`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.content.models import AssetCategory
from apps.milestones.models import AlertRule, CompletionKind, Milestone, Phase, Track
from apps.milestones.services.alerts import alerts_resolve
from apps.milestones.services.setup import MilestoneError
from apps.onboarding.models import Stage
from apps.partners.verbs import EVENT_TYPES
from apps.tenancy.models import Tenant
from apps.tenancy.selectors import is_active_program_admin

if TYPE_CHECKING:
    from apps.accounts.models import User

MAX_DAY = 365
# The shape the API accepts for an external system's own event types (apps/api/schemas/events.py,
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
    if not is_active_program_admin(tenant=tenant, actor=actor):
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
    """Resolve the unresolved alerts matched by `where`, audited (`alerts_resolve`)."""
    return alerts_resolve(tenant=tenant, actor=actor, now=now, reason=reason, **where)
