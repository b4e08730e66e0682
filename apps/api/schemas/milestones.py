"""Shapes of a partner's milestone status (`/api/v1/partners/{partner_id}/milestones`): its
track, each milestone's state and dates, and the alerts not yet resolved."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from apps.api.schemas.alerts import AlertKindValue

MilestoneState = Literal["done", "overdue", "current", "upcoming"]


class MilestoneTrackOut(Schema):
    id: int = Field(description="The track's id.")
    partner_type: str = Field(description="The partner type the track is for.")
    activation_window_days: int = Field(
        description="Days from enrollment within which the partner should be activated."
    )
    enrolled_at: datetime = Field(description="When milestone tracking started for the partner.")
    activation_due_at: datetime = Field(description="The end of the partner's activation window.")
    activated_at: datetime | None = Field(
        description="When the partner's activation milestones were all complete, or null."
    )
    dark_at: datetime | None = Field(
        description="When the partner went dark (window over, not activated), or null."
    )


class PartnerMilestoneAlertOut(Schema):
    id: int = Field(description="The alert's id (see `/api/v1/alerts`).")
    status: Literal["open", "acknowledged"] = Field(
        description="`open` or `acknowledged` (resolved alerts are not listed here)."
    )
    kind: AlertKindValue = Field(description="`overdue` or `reminder`.")
    label: str = Field(description="The alert rule's wording.")
    due_at: datetime = Field(description="When the rule became due.")
    snoozed_until: date | None = Field(description="Snoozed until this day, or null.")


class PartnerMilestoneOut(Schema):
    id: int = Field(description="The milestone's id in the partner's track.")
    key: str = Field(description="The milestone's key, the same in every track.")
    name: str = Field(description="The milestone's name.")
    phase: int = Field(
        description="1 administrative activation … 5 performance baseline.", ge=1, le=5
    )
    state: MilestoneState = Field(
        description=(
            "`done`, `overdue` (due and not done), `current` (in its window) or `upcoming`."
        )
    )
    counts_for_activation: bool = Field(
        description="Whether it is one of the track's activation milestones."
    )
    starts_at: datetime = Field(description="The start of its target window.")
    due_at: datetime = Field(description="The end of its target window: its due date.")
    achieved_at: datetime | None = Field(description="When it was achieved, or null.")
    progress: int | None = Field(
        description="Percentage done for milestones measured by a share (0–100), else null."
    )
    alerts: list[PartnerMilestoneAlertOut] = Field(
        description="Its alerts not resolved yet (open or acknowledged), oldest due first."
    )


class PartnerMilestonesOut(Schema):
    partner_id: int = Field(description="The partner account's id.")
    track: MilestoneTrackOut | None = Field(
        description="The partner's milestone track, or null when it is not tracked."
    )
    done: int = Field(description="Milestones achieved.")
    total: int = Field(description="Milestones on the partner's track.")
    milestones: list[PartnerMilestoneOut] = Field(
        description="Every milestone of the track, by phase and due date."
    )
