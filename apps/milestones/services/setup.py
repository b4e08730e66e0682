"""Installing the milestone template, and starting a partner's milestone tracking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.milestones import verbs
from apps.milestones.default_tracks import STANDARD_MILESTONES, TRACKS, MilestoneSpec, TrackSpec
from apps.milestones.models import (
    Alert,
    AlertCheckpoint,
    AlertRule,
    Milestone,
    PartnerMilestone,
    PartnerTrack,
    Track,
)
from apps.milestones.services import statements
from apps.milestones.services.alerts import alerts_resolve
from apps.partners.models import PartnerAccount, PartnerType
from apps.tenancy.models import STAFF_ROLES, Membership, Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User


class MilestoneError(Exception):
    """A milestone rule was broken; the message is shown to the user."""


def _milestone_from_spec(
    tenant: Tenant, track: Track, spec: MilestoneSpec, position: int, *, for_activation: bool
) -> Milestone:
    milestone = Milestone.objects.create(
        tenant=tenant,
        track=track,
        key=spec.key,
        name=spec.name,
        phase=spec.phase,
        window_from_day=spec.window[0],
        window_to_day=spec.window[1],
        responsible=spec.responsible,
        completion=spec.completion,
        event_types=list(spec.event_types),
        event_reference=spec.event_reference,
        content_categories=list(spec.content_categories),
        counts_for_activation=for_activation,
        description=spec.description,
        position=position,
    )
    AlertRule.objects.bulk_create(
        AlertRule(
            tenant=tenant,
            milestone=milestone,
            day=rule.day,
            label=rule.label,
            event_types=list(rule.event_types),
            event_reference=rule.event_reference,
            kind=rule.kind,
            condition=rule.condition,
            threshold=rule.threshold,
        )
        for rule in spec.rules
    )
    return milestone


def track_from_spec(*, tenant: Tenant, partner_type: PartnerType, spec: TrackSpec) -> Track:
    """A track for `partner_type` holding its own copy of the template track `spec`."""
    track = Track.objects.create(
        tenant=tenant,
        partner_type=partner_type,
        activation_window_days=spec.activation_window_days,
        priority_sequence=list(spec.priority_sequence),
        critical_first_milestone=spec.critical_first_milestone,
    )
    specs = [m for m in STANDARD_MILESTONES if m.key not in spec.excluded] + list(spec.extra)
    for position, milestone_spec in enumerate(specs):
        _milestone_from_spec(
            tenant,
            track,
            milestone_spec,
            position,
            for_activation=milestone_spec.key in spec.activation,
        )
    return track


@transaction.atomic
def milestone_template_install(*, tenant: Tenant, actor: User | None = None) -> dict[str, int]:
    """Give each of the program's seed-004 partner types its track, holding its own copy of
    the template's milestones. Idempotent: a type that has a track keeps it as edited."""
    types = {t.name.lower(): t for t in PartnerType.objects.filter(tenant=tenant)}
    existing = set(Track.objects.filter(tenant=tenant).values_list("partner_type_id", flat=True))
    created = {"milestones": 0, "tracks": 0}
    for track_spec in TRACKS:
        partner_type = types.get(track_spec.partner_type.lower())
        if partner_type is None or partner_type.pk in existing:
            continue
        track = track_from_spec(tenant=tenant, partner_type=partner_type, spec=track_spec)
        created["tracks"] += 1
        created["milestones"] += Milestone.objects.filter(track=track).count()
    if created["tracks"]:
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verbs.TEMPLATE_INSTALLED,
            target=tenant,
            data=created,
        )
    return created


@transaction.atomic
def partner_track_start(
    *,
    tenant: Tenant,
    actor: User | None,
    account: PartnerAccount,
    enrolled_at: datetime | None = None,
) -> PartnerTrack:
    """Start milestone tracking for a partner directly (without an onboarding enrollment):
    their milestones are due counting from `enrolled_at` (default: now)."""
    if (
        actor is not None
        and not Membership.objects.filter(
            tenant=tenant, user=actor, role__in=STAFF_ROLES, is_active=True
        ).exists()
    ):
        raise MilestoneError("Only channel managers can start milestone tracking.")
    if account.tenant_id != tenant.pk:
        raise MilestoneError("Unknown partner account.")
    track = Track.objects.filter(tenant=tenant, partner_type_id=account.partner_type_id).first()
    if track is None:
        raise MilestoneError(f"There is no milestone track for {account.partner_type.name}.")
    now = timezone.now()
    enrolled_at = enrolled_at or now
    if enrolled_at > now:
        raise MilestoneError("Tracking cannot start in the future.")
    if PartnerTrack.objects.filter(tenant=tenant, account=account).exists():
        raise MilestoneError(f"{account.name} already has milestone tracking.")
    partner_track = PartnerTrack.objects.create(
        tenant=tenant,
        account=account,
        track=track,
        enrolled_at=enrolled_at,
        activation_due_at=enrolled_at + timedelta(days=track.activation_window_days),
    )
    statements.materialise(partner_track_ids=[partner_track.pk], now=now)
    statements.mark_dark(now=now, account_ids=[account.pk])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACKING_STARTED,
        target=account,
        partner_id=account.pk,
        data={"track": str(account.partner_type), "enrolled_at": enrolled_at.isoformat()},
    )
    return partner_track


# --- Switching a partner to another track (its type changed) -----------------------------


def _track_name(track: Track) -> str:
    return track.partner_type.name


@transaction.atomic
def partner_track_switch(
    *, tenant: Tenant, actor: User, account_id: int, track_id: int
) -> PartnerTrack:
    """Move a partner's milestone tracking to `track_id`, the track of its (new) type (staff).

    Milestones in both tracks are kept as they are (completed or not, with their dates);
    milestones only in the new track are added, counted from now, and completed at once by
    the partner's events so far; milestones only in the old track are dropped, their
    unresolved alerts resolved first (audited). A partner not yet activated gets the new
    track's activation window from now. The partner's tracking row is locked: two people
    confirming at once switch it once (the second is refused).
    """
    if not Membership.objects.filter(
        tenant=tenant, user=actor, role__in=STAFF_ROLES, is_active=True
    ).exists():
        raise MilestoneError(_("Only the program’s staff can change a milestone track."))
    account = (
        PartnerAccount.objects.filter(tenant=tenant, pk=account_id)
        .select_related("partner_type")
        .first()
    )
    if account is None:
        raise MilestoneError(_("Unknown partner account."))
    track = Track.objects.filter(tenant=tenant, pk=track_id).select_related("partner_type").first()
    if track is None:
        raise MilestoneError(_("Unknown milestone track."))
    if track.partner_type_id != account.partner_type_id:
        raise MilestoneError(
            _("That track is for %(type)s partners; %(partner)s is a %(current)s partner.")
            % {
                "type": track.partner_type.name,
                "partner": account.name,
                "current": account.partner_type.name,
            }
        )
    partner_track = (
        PartnerTrack.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, account=account)
        .first()
    )
    if partner_track is None:
        raise MilestoneError(
            _("%(partner)s has no milestone tracking yet.") % {"partner": account.name}
        )
    if partner_track.track_id == track.pk:
        raise MilestoneError(
            _("%(partner)s is already on the %(track)s track.")
            % {"partner": account.name, "track": _track_name(track)}
        )
    old_track = Track.objects.select_related("partner_type").get(pk=partner_track.track_id)
    now = timezone.now()
    # Each track owns its milestones: a milestone is kept when the new track has one with
    # the same key (it then points at the new track's, with its completion and dates).
    wanted = dict(Milestone.objects.filter(tenant=tenant, track=track).values_list("key", "pk"))
    mine = list(
        PartnerMilestone.objects.filter(tenant=tenant, partner_track=partner_track).values_list(
            "pk", "milestone__key"
        )
    )
    dropped = sorted(pk for pk, key in mine if key not in wanted)
    resolved = alerts_resolve(
        tenant=tenant,
        actor=actor,
        now=now,
        reason="track_switched",
        partner_milestone_id__in=dropped,
    )
    PartnerMilestone.objects.filter(tenant=tenant, pk__in=dropped).delete()
    kept_rows = [(pk, wanted[key]) for pk, key in mine if key in wanted]
    kept_pks = [pk for pk, _m in kept_rows]
    old_rules = {
        (key, day, label): pk
        for pk, key, day, label in AlertRule.objects.filter(
            tenant=tenant, milestone__track_id=partner_track.track_id, milestone__key__in=wanted
        ).values_list("pk", "milestone__key", "day", "label")
    }
    new_rules = {
        (key, day, label): pk
        for pk, key, day, label in AlertRule.objects.filter(
            tenant=tenant, milestone__track=track, active=True
        ).values_list("pk", "milestone__key", "day", "label")
    }
    for pk, milestone_id in kept_rows:
        PartnerMilestone.objects.filter(tenant=tenant, pk=pk).update(milestone_id=milestone_id)
    # A kept milestone's checkpoints and alerts follow it to the new track's rule of the same
    # day and label: what fired stays fired (no second alert), what is not due yet keeps its
    # date. The old track's other rules raise nothing more (their alerts stay); the new
    # track's other rules get their checkpoints below, counted from the switch.
    moves = [(old, new_rules[spec]) for spec, old in old_rules.items() if spec in new_rules]
    if kept_pks and moves:
        rule_for = Case(*(When(rule_id=old, then=Value(new)) for old, new in moves))
        moved = {"partner_milestone_id__in": kept_pks, "rule_id__in": [old for old, _n in moves]}
        AlertCheckpoint.objects.filter(tenant=tenant, **moved).update(rule_id=rule_for)
        Alert.objects.filter(tenant=tenant, **moved).update(rule_id=rule_for)
    AlertCheckpoint.objects.filter(
        tenant=tenant,
        partner_milestone_id__in=kept_pks,
        fired_at__isnull=True,
        satisfied_at__isnull=True,
    ).exclude(rule_id__in=list(new_rules.values())).delete()
    partner_track.track = track
    fields = ["track"]
    if partner_track.activated_at is None and partner_track.dark_at is None:
        partner_track.activation_due_at = now + timedelta(days=track.activation_window_days)
        fields.append("activation_due_at")
    partner_track.save(update_fields=fields)
    statements.materialise(partner_track_ids=[partner_track.pk], now=now, counted_from=now)
    statements.activate(account_ids=[account.pk])
    statements.mark_dark(now=now, account_ids=[account.pk])
    kept = len(mine) - len(dropped)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.TRACK_SWITCHED,
        target=account,
        partner_id=account.pk,
        data={
            "from": _track_name(old_track),
            "to": _track_name(track),
            "kept": kept,
            "added": len(wanted) - kept,
            "dropped": len(dropped),
            "alerts_resolved": len(resolved),
        },
    )
    return partner_track
