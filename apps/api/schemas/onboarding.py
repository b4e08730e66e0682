"""Shapes of a partner's onboarding (`/api/v1/partners/{partner_id}/onboarding…`): the current
enrollment, its stages and each action's status for the partner, and the bodies of the
transitions an API key may make (complete, validate, request changes, skip).

An action is named by its id in the pipeline (the same id the partner event log references as
`action:<id>`): the partner's status of it is looked up in the partner's current enrollment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from apps.api.schemas.common import LONG_TEXT, LONG_TEXT_VISIBLE, AnswerValue

ActionTypeValue = Literal["view_asset", "read_article", "provide_information", "upload_document"]
ActionStatusValue = Literal[
    "pending", "waiting_for_approval", "completed", "action_required", "skipped"
]
StageStatusValue = Literal["pending", "current", "completed", "not_applicable"]
EnrollmentStatusValue = Literal["in_progress", "completed"]
ActionEvent = Literal["complete", "validate", "request_changes", "skip"]


class OnboardingPipelineOut(Schema):
    id: int = Field(description="The pipeline's id.")
    name: str = Field(description="The pipeline's name, e.g. “Reseller onboarding”.")


class OnboardingActionOut(Schema):
    id: int = Field(
        description=(
            "The action's id in the pipeline: the `{action_id}` of the transition endpoints, "
            "and the `action:<id>` reference of the partner's `onboarding.action_completed` "
            "events."
        )
    )
    stage_id: int = Field(description="The id of the stage the action belongs to.")
    title: str = Field(description="The action's title as the partner sees it.")
    type: ActionTypeValue = Field(
        description=(
            "What the partner does: `view_asset`, `read_article`, `provide_information` "
            "(fills in a form) or `upload_document`."
        )
    )
    requires_approval: bool = Field(
        description="Whether a completion waits for a channel manager's validation."
    )
    status: ActionStatusValue = Field(
        description=(
            "The partner's status of the action: `pending`, `waiting_for_approval`, "
            "`completed`, `action_required` (to redo) or `skipped` (final)."
        )
    )
    archived: bool = Field(
        description="True when the action was removed from the pipeline (its history is kept)."
    )
    submitted_at: datetime | None = Field(
        description="When the partner (or an API key on its behalf) last completed it, or null."
    )
    completed_at: datetime | None = Field(
        description="When it became Completed or Skipped, or null while it is open."
    )
    validated_at: datetime | None = Field(
        description="When a channel manager (or an API key) validated it, or null."
    )
    comment: str = Field(
        description=(
            "Why it needs redoing: the comment of the last request for changes or "
            "invalidation (empty when there is none)."
        )
    )
    submission: dict[str, Any] = Field(
        description=(
            "The partner's last submission: a Provide information action's answers keyed by "
            "field key; an Upload document action's file names under `files`."
        )
    )
    events: list[ActionEvent] = Field(
        description=(
            "The transitions the API may make now, computed from the action status table: "
            "`complete`, `validate`, `request_changes`, `skip`."
        )
    )
    updated_at: datetime = Field(description="When the partner's status of it last changed.")


class OnboardingStageOut(Schema):
    id: int = Field(description="The stage's id.")
    name: str = Field(description="The stage's name.")
    position: int = Field(description="The stage's place in the pipeline, from 1.")
    status: StageStatusValue = Field(
        description=(
            "The partner's status of the stage: `pending`, `current`, `completed`, or "
            "`not_applicable` (removed from the pipeline while the partner was in it)."
        )
    )
    archived: bool = Field(
        description="True when the stage was removed from the pipeline (its history is kept)."
    )
    entered_at: datetime | None = Field(
        description="When the partner entered the stage, or null if it has not yet."
    )
    completed_at: datetime | None = Field(description="When the stage was completed, or null.")
    actions: list[OnboardingActionOut] = Field(
        description="The stage's actions, in pipeline order."
    )


class OnboardingProgressOut(Schema):
    done: int = Field(description="Actions Completed or Skipped.")
    total: int = Field(description="Actions the partner has (removed ones excluded).")
    percent: int = Field(description="done / total, in percent (0–100).")


class OnboardingOut(Schema):
    partner_id: int = Field(description="The partner account's id.")
    enrollment_id: int = Field(description="The id of the partner's current enrollment.")
    pipeline: OnboardingPipelineOut = Field(description="The pipeline the partner is enrolled in.")
    status: EnrollmentStatusValue = Field(
        description="`in_progress`, or `completed` once the last stage is done."
    )
    started_at: datetime = Field(description="When the partner was enrolled.")
    completed_at: datetime | None = Field(
        description="When the partner finished the pipeline, or null."
    )
    current_stage_id: int | None = Field(
        description="The stage the partner is in (null once onboarding is completed)."
    )
    progress: OnboardingProgressOut = Field(
        description="Actions done out of the partner's actions."
    )
    stages: list[OnboardingStageOut] = Field(
        description="Every stage of the pipeline, in order, with its actions."
    )


# --- Input ----------------------------------------------------------------------------------


class ActionCompleteIn(Schema):
    """The partner's completion, made by the API key on its behalf."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, AnswerValue] | None = Field(
        None,
        description=(
            "A Provide information action's answers, keyed by the form's field keys (checked "
            "as the portal's form checks them: required fields, emails, URLs, numbers, dates "
            "as YYYY-MM-DD, one of the choices). Not allowed for other action types."
        ),
    )


class ActionRequestChangesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        min_length=1,
        max_length=2000,
        pattern=LONG_TEXT_VISIBLE,
        description="What the partner must change (shown to them; required).",
    )


class ActionSkipIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        "",
        max_length=2000,
        pattern=LONG_TEXT,
        description="Why the action is skipped (optional; kept in the audit log).",
    )
