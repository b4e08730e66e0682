"""Reads of the program settings' milestone page: the tracks with their milestones, and each
milestone's alert rules and how many tracks share it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Prefetch

from apps.milestones.models import AlertRule, Milestone, Track, TrackMilestone

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


def milestone_tracks_overview(*, tenant: Tenant) -> dict[str, Any]:
    tracks = list(
        Track.objects.filter(tenant=tenant)
        .select_related("partner_type")
        .prefetch_related(
            Prefetch(
                "links",
                queryset=TrackMilestone.objects.filter(tenant=tenant)
                .select_related("milestone")
                .order_by("milestone__phase", "milestone__window_from_day", "milestone__id"),
            )
        )
        .order_by("partner_type__position", "partner_type__name")
    )
    milestones = list(
        Milestone.objects.filter(tenant=tenant).prefetch_related(
            Prefetch("rules", queryset=AlertRule.objects.filter(tenant=tenant))
        )
    )
    shared = {
        row["milestone_id"]: row["n"]
        for row in TrackMilestone.objects.filter(tenant=tenant)
        .values("milestone_id")
        .annotate(n=Count("id"))
    }
    for milestone in milestones:
        milestone.track_count = shared.get(milestone.pk, 0)
    for track in tracks:
        track.activation = [
            link.milestone for link in track.links.all() if link.counts_for_activation
        ]
    return {"tracks": tracks, "milestones": milestones, "track_total": len(tracks)}
