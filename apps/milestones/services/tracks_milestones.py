"""The milestone tracks editor: adding a milestone to a track (one of the template's standard
milestones it lacks, or one of the program's own) and removing one. Shares the checks of
tracks_common.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.milestones import verbs
from apps.milestones.default_tracks import STANDARD_MILESTONES, MilestoneSpec
from apps.milestones.models import AlertRule, CompletionKind, Milestone, Track
from apps.milestones.services import statements, track_sync
from apps.milestones.services.setup import MilestoneError, _milestone_from_spec
from apps.milestones.services.tracks_common import (
    ADDABLE_COMPLETIONS,
    _milestone_of,
    _now,
    _phase,
    _record,
    _require_program_admin,
    _resolve_alerts,
    _text,
    _track_locked,
    _window,
    event_types_clean,
)
from apps.tenancy.models import Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User


def _unique_key(*, tenant: Tenant, track: Track, name: str) -> str:
    from django.utils.text import slugify

    base = (slugify(name) or "milestone")[:50]
    taken = set(Milestone.objects.filter(tenant=tenant, track=track).values_list("key", flat=True))
    key, n = base, 2
    while key in taken:
        key = f"{base}-{n}"
        n += 1
    return key


def _added(
    *, tenant: Tenant, actor: User, track: Track, milestone: Milestone, raise_past: bool
) -> Milestone:
    result = track_sync.milestone_added(
        milestone_id=milestone.pk, now=_now(), raise_past=raise_past
    )
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CHANGED,
        track=track,
        data={
            "change": "milestone_added",
            "milestone": milestone.key,
            "from": None,
            "to": {"name": milestone.name, "window": milestone.window_label},
            "partners": result["partners"],
            "partners_completed": len(result["applied"].completed),
            "past_due": result["past_due"],
            "raise_past": raise_past,
        },
    )
    return milestone


@transaction.atomic
def milestone_add_standard(
    *, tenant: Tenant, actor: User, track_id: int, key: str, raise_past: bool = False
) -> Milestone:
    """Put one of the template's standard milestones back on a track that lacks it (e.g.
    "Technical certification achieved", optional per type)."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    spec = next((s for s in STANDARD_MILESTONES if s.key == key), None)
    if spec is None:
        raise MilestoneError(_("Unknown standard milestone."))
    if Milestone.objects.filter(tenant=tenant, track=track, key=key).exists():
        raise MilestoneError(_("“%(name)s” is already on this track.") % {"name": spec.name})
    position = Milestone.objects.filter(tenant=tenant, track=track).count()
    milestone = _milestone_from_spec(tenant, track, spec, position, for_activation=False)
    return _added(
        tenant=tenant, actor=actor, track=track, milestone=milestone, raise_past=raise_past
    )


@transaction.atomic
def milestone_add_custom(
    *,
    tenant: Tenant,
    actor: User,
    track_id: int,
    name: str,
    phase: int,
    window_from_day: int,
    window_to_day: int,
    responsible: str = "",
    completion: str = CompletionKind.EVENT,
    event_types: list[str] | None = None,
    event_reference: str = "",
    raise_past: bool = False,
) -> Milestone:
    """A milestone of the program's own on this track (no alert rule yet: add them after)."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    if completion not in ADDABLE_COMPLETIONS:
        raise MilestoneError(_("Choose what completes it."))
    types = event_types_clean(event_types or [])
    if completion in (CompletionKind.EVENT, CompletionKind.ALL_EVENTS) and not types:
        raise MilestoneError(_("Choose at least one event that completes it."))
    clean_name = _text(name, what=_("a name"), max_length=200)
    if Milestone.objects.filter(tenant=tenant, track=track, name__iexact=clean_name).exists():
        raise MilestoneError(
            _("This track already has a milestone called “%(name)s”.") % {"name": clean_name}
        )
    spec = MilestoneSpec(
        key=_unique_key(tenant=tenant, track=track, name=clean_name),
        name=clean_name,
        phase=_phase(phase),
        window=_window(window_from_day, window_to_day),
        responsible=_text(
            responsible, what=_("a responsible party"), max_length=200, required=False
        ),
        completion=completion,
        event_types=tuple(types if completion != CompletionKind.CHECK_OFF else ()),
        event_reference=_text(
            event_reference, what=_("a reference"), max_length=200, required=False
        ),
    )
    position = Milestone.objects.filter(tenant=tenant, track=track).count()
    milestone = _milestone_from_spec(tenant, track, spec, position, for_activation=False)
    return _added(
        tenant=tenant, actor=actor, track=track, milestone=milestone, raise_past=raise_past
    )


@transaction.atomic
def milestone_remove(*, tenant: Tenant, actor: User, track_id: int, milestone_id: int) -> int:
    """Take a milestone off a track: its partners' open alerts are resolved (audited), then
    it goes with its partners' rows and rules. The last milestone that counts for activation
    cannot be removed. Partners who now have every activation milestone done are activated.
    Returns how many alerts were resolved."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    milestone = _milestone_of(tenant=tenant, track=track, milestone_id=milestone_id)
    if (
        milestone.counts_for_activation
        and not Milestone.objects.filter(tenant=tenant, track=track, counts_for_activation=True)
        .exclude(pk=milestone.pk)
        .exists()
    ):
        raise MilestoneError(
            _(
                "“%(name)s” is the only milestone that counts for activation: choose another "
                "one first."
            )
            % {"name": milestone.name}
        )
    now = _now()
    resolved = _resolve_alerts(
        tenant=tenant,
        actor=actor,
        now=now,
        reason="milestone_removed",
        partner_milestone__milestone=milestone,
    )
    before: dict[str, Any] = {
        "name": milestone.name,
        "window": milestone.window_label,
        "counts_for_activation": milestone.counts_for_activation,
        "rules": list(
            AlertRule.objects.filter(tenant=tenant, milestone=milestone, active=True).values_list(
                "label", flat=True
            )
        ),
    }
    key = milestone.key
    milestone.delete()
    activated = (
        statements.activate(account_ids=track_sync.track_partner_accounts(track_id=track.pk))
        if before["counts_for_activation"]
        else []
    )
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CHANGED,
        track=track,
        data={
            "change": "milestone_removed",
            "milestone": key,
            "from": before,
            "to": None,
            "alerts_resolved": len(resolved),
            "partners_activated": len(activated),
        },
    )
    return len(resolved)
