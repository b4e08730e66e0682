"""The milestone tracks editor: starting to track a partner type (a copy of one of the
program's tracks or of the seed template's), stopping, and the hook that starts a type added in
the console on a copy of the closest track. Shares the checks of tracks_common.py."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from apps.milestones import verbs
from apps.milestones.default_tracks import TRACKS, TrackSpec
from apps.milestones.models import AlertRule, Milestone, PartnerTrack, Track
from apps.milestones.services.setup import MilestoneError, track_from_spec
from apps.milestones.services.tracks_common import _record, _require_program_admin, _track_locked
from apps.partners.models import PartnerType
from apps.tenancy.models import Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User


# --- Starting and stopping a type's tracking -------------------------------------------------


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a.lower(), b.lower()).ratio()


def track_source_closest(
    *, name: str, tracks: list[Track], exclude_type_id: int | None = None
) -> str:
    """The source a new track for a type called `name` is best copied from: the seed
    template track of the same name, else the most similar by name among the program's
    tracks (`track:<id>`) and the template's (`template:<type name>`); ties go to the
    program's own. "" when there is nothing to copy."""
    for spec in TRACKS:
        if spec.partner_type.lower() == name.strip().lower():
            return f"template:{spec.partner_type}"
    candidates: list[tuple[float, int, str]] = [
        (_similarity(name, t.partner_type.name), 1, f"track:{t.pk}")
        for t in tracks
        if t.partner_type_id != exclude_type_id
    ]
    candidates += [
        (_similarity(name, s.partner_type), 0, f"template:{s.partner_type}") for s in TRACKS
    ]
    if not candidates:
        return ""
    return max(candidates)[2]


def _copy_rules(*, tenant: Tenant, pairs: list[tuple[Milestone, Milestone]]) -> None:
    rules = AlertRule.objects.filter(
        tenant=tenant, milestone__in=[old for old, _new in pairs], active=True
    )
    new_by_old = {old.pk: new for old, new in pairs}
    AlertRule.objects.bulk_create(
        AlertRule(
            tenant=tenant,
            milestone=new_by_old[rule.milestone_id],
            day=rule.day,
            event_types=list(rule.event_types),
            event_reference=rule.event_reference,
            label=rule.label,
            kind=rule.kind,
            condition=rule.condition,
            threshold=rule.threshold,
        )
        for rule in rules
    )


def _track_clone(*, tenant: Tenant, partner_type: PartnerType, source_track: Track) -> Track:
    track = Track.objects.create(
        tenant=tenant,
        partner_type=partner_type,
        activation_window_days=source_track.activation_window_days,
        priority_sequence=list(source_track.priority_sequence),
        critical_first_milestone=source_track.critical_first_milestone,
    )
    pairs = []
    for old in Milestone.objects.filter(tenant=tenant, track=source_track).order_by(
        "position", "pk"
    ):
        new = Milestone.objects.create(
            tenant=tenant,
            track=track,
            key=old.key,
            name=old.name,
            phase=old.phase,
            window_from_day=old.window_from_day,
            window_to_day=old.window_to_day,
            responsible=old.responsible,
            completion=old.completion,
            event_types=list(old.event_types),
            event_reference=old.event_reference,
            action_id=old.action_id,
            stage_id=old.stage_id,
            items=list(old.items),
            content_categories=list(old.content_categories),
            counts_for_activation=old.counts_for_activation,
            description=old.description,
            position=old.position,
        )
        pairs.append((old, new))
    _copy_rules(tenant=tenant, pairs=pairs)
    return track


def _type_locked(*, tenant: Tenant, partner_type_id: int) -> PartnerType:
    partner_type = (
        PartnerType.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk=partner_type_id)
        .first()
    )
    if partner_type is None:
        raise MilestoneError(_("Unknown partner type."))
    return partner_type


def _track_create(
    *, tenant: Tenant, actor: User | None, partner_type: PartnerType, source: str, why: str
) -> Track:
    if Track.objects.filter(tenant=tenant, partner_type=partner_type).exists():
        raise MilestoneError(
            _("%(type)s partners already have a milestone track.") % {"type": partner_type.name}
        )
    kind, _sep, ref = source.partition(":")
    if kind == "track" and ref.isdigit():
        source_track = (
            Track.objects.filter(tenant=tenant, pk=int(ref)).select_related("partner_type").first()
        )
        if source_track is None:
            raise MilestoneError(_("Choose the track to copy."))
        track = _track_clone(tenant=tenant, partner_type=partner_type, source_track=source_track)
        label = _("a copy of the %(type)s track") % {"type": source_track.partner_type.name}
    elif kind == "template":
        spec: TrackSpec | None = next((s for s in TRACKS if s.partner_type == ref), None)
        if spec is None:
            raise MilestoneError(_("Choose the track to copy."))
        track = track_from_spec(tenant=tenant, partner_type=partner_type, spec=spec)
        label = _("the template’s %(type)s track") % {"type": spec.partner_type}
    else:
        raise MilestoneError(_("Choose the track to copy."))
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_CREATED,
        track=track,
        data={
            "from": None,
            "to": {
                "partner_type": partner_type.name,
                "copied_from": str(label),
                "milestones": Milestone.objects.filter(tenant=tenant, track=track).count(),
            },
            "why": why,
        },
    )
    return track


@transaction.atomic
def track_copy(
    *, tenant: Tenant, actor: User, partner_type: PartnerType, source_track: Track
) -> Track:
    """Start tracking `partner_type` on a copy of `source_track` (its milestones, with their
    windows and completion, and its active rules)."""
    _require_program_admin(tenant=tenant, actor=actor)
    locked = _type_locked(tenant=tenant, partner_type_id=partner_type.pk)
    return _track_create(
        tenant=tenant,
        actor=actor,
        partner_type=locked,
        source=f"track:{source_track.pk}",
        why="start_tracking",
    )


@transaction.atomic
def track_start(*, tenant: Tenant, actor: User, partner_type_id: int, source: str) -> Track:
    """Start tracking a type that has no track, from `source`: `track:<id>` (a copy of one of
    the program's tracks) or `template:<type name>` (the seed template's track)."""
    _require_program_admin(tenant=tenant, actor=actor)
    partner_type = _type_locked(tenant=tenant, partner_type_id=partner_type_id)
    return _track_create(
        tenant=tenant, actor=actor, partner_type=partner_type, source=source, why="start_tracking"
    )


@transaction.atomic
def track_stop(*, tenant: Tenant, actor: User, track_id: int) -> PartnerType:
    """Stop tracking a type ("Not tracked"): only while no partner is on its track."""
    _require_program_admin(tenant=tenant, actor=actor)
    track = _track_locked(tenant=tenant, track_id=track_id)
    on_it = PartnerTrack.objects.filter(tenant=tenant, track=track).count()
    if on_it:
        raise MilestoneError(
            _(
                "%(count)d partner(s) are on the %(type)s track: it cannot stop while partners "
                "are on it."
            )
            % {"count": on_it, "type": track.partner_type.name}
        )
    partner_type = track.partner_type
    before = {
        "partner_type": partner_type.name,
        "activation_window_days": track.activation_window_days,
        "milestones": list(
            Milestone.objects.filter(tenant=tenant, track=track).values_list("key", flat=True)
        ),
    }
    _record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_REMOVED,
        track=track,
        data={"from": before, "to": None},
    )
    track.delete()
    return partner_type


def track_for_new_partner_type(
    *, tenant: Tenant, actor: User | None, partner_type: PartnerType
) -> Track | None:
    """The partners app's `partner_type_created` hook: a type added in the console starts on
    a copy of the closest track (in the same transaction). A program that tracks no type at
    all (it does not use milestone tracking) leaves it "Not tracked"."""
    tracks = list(Track.objects.filter(tenant=tenant).select_related("partner_type"))
    if not tracks:
        return None
    source = track_source_closest(name=partner_type.name, tracks=tracks)
    if not source:
        return None
    return _track_create(
        tenant=tenant,
        actor=actor,
        partner_type=partner_type,
        source=source,
        why="partner_type_created",
    )
