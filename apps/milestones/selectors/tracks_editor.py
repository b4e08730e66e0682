"""Reads of the milestone tracks editor (/console/settings/milestones/): the tracks with
their partners on them, the types not tracked, and one track with its milestones and rules.
A constant number of queries whatever the number of tracks, milestones or partners."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch

from apps.milestones.default_tracks import STANDARD_MILESTONES, TRACKS, MilestoneSpec
from apps.milestones.models import AlertRule, CompletionKind, Milestone, PartnerTrack, Track
from apps.onboarding.models import Stage
from apps.partners.models import PartnerAccount, PartnerType

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


@dataclass
class UntrackedType:
    partner_type: PartnerType
    accounts: int  # partner accounts of this type (none of them is tracked)
    source: str  # the preselected copy source (`track:<id>` / `template:<name>`)


@dataclass
class TracksOverview:
    tracks: list[Track]
    untracked: list[UntrackedType]
    sources: list[tuple[str, str]] = field(default_factory=list)  # (value, label)


def _partners_on(*, tenant: Tenant) -> dict[int, int]:
    return dict(
        PartnerTrack.objects.filter(tenant=tenant)
        .order_by()
        .values_list("track_id")
        .annotate(n=Count("pk"))
    )


def track_copy_sources(tracks: list[Track]) -> list[tuple[str, str]]:
    """What a new track can be copied from: the program's tracks, then the seed template's."""
    return [(f"track:{t.pk}", f"{t.partner_type.name}") for t in tracks] + [
        (f"template:{spec.partner_type}", f"{spec.partner_type} (template)") for spec in TRACKS
    ]


def tracks_overview(*, tenant: Tenant) -> TracksOverview:
    """Every track (partner type order) with `activation` (its activation milestones),
    `milestone_count` and `partner_count`; the types without a track. Five queries."""
    from apps.milestones.services.tracks_start import track_source_closest

    tracks = list(
        Track.objects.filter(tenant=tenant)
        .select_related("partner_type")
        .prefetch_related(
            Prefetch(
                "milestone_set",
                queryset=Milestone.objects.filter(tenant=tenant).only(
                    "pk",
                    "track_id",
                    "name",
                    "counts_for_activation",
                    "phase",
                    "window_from_day",
                    "position",
                ),
            )
        )
        .order_by("partner_type__position", "partner_type__name")
    )
    partners = _partners_on(tenant=tenant)
    for track in tracks:
        milestones = list(track.milestone_set.all())
        track.activation = [m for m in milestones if m.counts_for_activation]
        track.milestone_count = len(milestones)  # type: ignore[attr-defined]
        track.partner_count = partners.get(track.pk, 0)  # type: ignore[attr-defined]
    tracked_types = {t.partner_type_id for t in tracks}
    types = list(
        PartnerType.objects.filter(tenant=tenant)
        .exclude(pk__in=tracked_types)
        .order_by("archived_at", "position", "name")
    )
    accounts = dict(
        PartnerAccount.objects.filter(tenant=tenant, partner_type__in=types)
        .order_by()
        .values_list("partner_type_id")
        .annotate(n=Count("pk"))
    )
    untracked = [
        UntrackedType(
            partner_type=t,
            accounts=accounts.get(t.pk, 0),
            source=track_source_closest(name=t.name, tracks=tracks),
        )
        for t in types
    ]
    return TracksOverview(tracks=tracks, untracked=untracked, sources=track_copy_sources(tracks))


@dataclass
class TrackDetail:
    track: Track
    milestones: list[Milestone]
    phases: list[tuple[int, str, list[Milestone]]]
    partner_count: int
    missing_standard: list[MilestoneSpec]
    stages: list[Stage]


def track_detail(*, tenant: Tenant, track_id: int) -> TrackDetail | None:
    """One track with its milestones by phase, each with its active rules (`rules.all`) and
    `needs_stage` (a SHARE milestone with nothing to measure); the template's standard
    milestones it lacks; the program's stages (for orientation). Five queries."""
    track = Track.objects.filter(tenant=tenant, pk=track_id).select_related("partner_type").first()
    if track is None:
        return None
    milestones = list(
        Milestone.objects.filter(tenant=tenant, track=track)
        .select_related("stage", "stage__pipeline")
        .prefetch_related(
            Prefetch(
                "rules",
                queryset=AlertRule.objects.filter(tenant=tenant, active=True).order_by("day", "id"),
            )
        )
    )
    for milestone in milestones:
        milestone.needs_stage = (  # type: ignore[attr-defined]
            milestone.completion == CompletionKind.SHARE
            and milestone.stage_id is None
            and not milestone.items
        )
    track.activation = [m for m in milestones if m.counts_for_activation]
    from apps.milestones.models import Phase

    phases = [
        (int(value), str(label), [m for m in milestones if m.phase == value])
        for value, label in Phase.choices
    ]
    keys = {m.key for m in milestones}
    stages = list(
        Stage.objects.filter(
            tenant=tenant, archived_at__isnull=True, pipeline__archived_at__isnull=True
        )
        .select_related("pipeline")
        .order_by("pipeline__name", "pipeline_id", "position", "pk")
    )
    return TrackDetail(
        track=track,
        milestones=milestones,
        phases=[p for p in phases if p[2]],
        partner_count=PartnerTrack.objects.filter(tenant=tenant, track=track).count(),
        missing_standard=[s for s in STANDARD_MILESTONES if s.key not in keys],
        stages=stages,
    )
