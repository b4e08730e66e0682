"""Reads of the program settings' milestone page: the tracks with their milestones, and each
milestone's alert rules and how many tracks share it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Prefetch

from apps.milestones.models import (
    Alert,
    AlertRule,
    Milestone,
    PartnerMilestone,
    PartnerTrack,
    Track,
)

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


def milestone_tracks_overview(*, tenant: Tenant) -> dict[str, Any]:
    """Every track with its own milestones (and their active rules), in partner type order.
    Three queries."""
    tracks = list(
        Track.objects.filter(tenant=tenant)
        .select_related("partner_type")
        .prefetch_related(
            Prefetch(
                "milestone_set",
                queryset=Milestone.objects.filter(tenant=tenant).prefetch_related(
                    Prefetch("rules", queryset=AlertRule.objects.filter(tenant=tenant, active=True))
                ),
            )
        )
        .order_by("partner_type__position", "partner_type__name")
    )
    for track in tracks:
        track.activation = [m for m in track.milestone_set.all() if m.counts_for_activation]
    return {"tracks": tracks, "track_total": len(tracks)}


def track_for_partner_type(*, tenant: Tenant, partner_type_id: int) -> Track | None:
    """The milestone track of this partner type (None when there is none)."""
    return (
        Track.objects.filter(tenant=tenant, partner_type_id=partner_type_id)
        .select_related("partner_type")
        .first()
    )


class TrackSwitchPreview(TypedDict):
    """What switching a partner to another track would do (`track_switch_preview`)."""

    kept: int  # milestones in both tracks: kept as they are
    kept_done: int  # of which completed
    added: int  # milestones only in the new track
    dropped: int  # milestones only in the current track
    dropped_done: int  # of which completed
    open_alerts: int  # unresolved alerts of the dropped milestones (resolved by the switch)


def track_switch_preview(
    *, tenant: Tenant, partner_track: PartnerTrack, track: Track
) -> TrackSwitchPreview:
    """Count what `partner_track_switch` would keep, add and drop (three queries)."""
    wanted = set(Milestone.objects.filter(tenant=tenant, track=track).values_list("key", flat=True))
    mine = list(
        PartnerMilestone.objects.filter(tenant=tenant, partner_track=partner_track).values_list(
            "pk", "milestone__key", "completed_at"
        )
    )
    kept = [row for row in mine if row[1] in wanted]
    dropped = [row for row in mine if row[1] not in wanted]
    open_alerts = (
        Alert.objects.filter(
            tenant=tenant,
            partner_milestone_id__in=[row[0] for row in dropped],
            resolved_at__isnull=True,
        ).count()
        if dropped
        else 0
    )
    return {
        "kept": len(kept),
        "kept_done": sum(1 for row in kept if row[2] is not None),
        "added": len(wanted) - len(kept),
        "dropped": len(dropped),
        "dropped_done": sum(1 for row in dropped if row[2] is not None),
        "open_alerts": open_alerts,
    }
