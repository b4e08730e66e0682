"""Shapes of the alerts resource (`/api/v1/alerts`): the alerts the milestone sweep raised for
the partners' channel managers ("at day N, if E has not happened, alert the CAM")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

AlertStatusValue = Literal["open", "acknowledged", "resolved"]
AlertKindValue = Literal["overdue", "reminder"]


class AlertMilestoneOut(Schema):
    id: int = Field(description="The milestone's id in the partner's track.")
    key: str = Field(
        description="The milestone's key, the same in every track (e.g. `first-deal`)."
    )
    name: str = Field(description="The milestone's name.")


class AlertOut(Schema):
    id: int = Field(description="The alert's id.")
    partner_id: int = Field(description="The partner account the alert is about.")
    status: AlertStatusValue = Field(
        description=(
            "`open`, `acknowledged` (by a channel manager or an API key) or `resolved` "
            "(automatically, when what it watched happened or the milestone completed)."
        )
    )
    kind: AlertKindValue = Field(description="`overdue` or `reminder`.")
    label: str = Field(description="The alert rule's wording, e.g. “No deal registered by day 60”.")
    milestone: AlertMilestoneOut = Field(description="The milestone the alert watches.")
    due_at: datetime = Field(description="When the rule became due for the partner.")
    raised_at: datetime = Field(description="When the alert was raised.")
    snoozed_until: date | None = Field(
        description="Hidden from the inbox and digests until this day, or null."
    )
    acknowledged_at: datetime | None = Field(description="When it was acknowledged, or null.")
    resolved_at: datetime | None = Field(description="When it was resolved, or null.")
