"""Onboarding writes, one module per noun; the names views use are re-exported here.

- actions.py: an action's status for one partner (the transition table, CAM buttons)
- stages.py: a partner's way through the stages (automatic and CAM moves, completion)
- enrollment.py: enrolling a partner in a pipeline, moving it to another
- pipelines.py: editing pipelines, live
- pipeline_guards.py: the checks an action passes before the builder saves it
- approvals.py: the CAM's approval digest
- queue.py: the work queue's bulk validation
- reconcile.py: the periodic repair pass
- notices.py: messages to partners and CAMs
- partner_log.py: onboarding's entries in the partner's event log
- errors.py: the errors every module raises

Tasks and other services import the module they call, not this package.
"""

from apps.onboarding.services.actions import (
    CAM_EVENTS,
    TRANSITIONS,
    StoredFile,
    action_complete,
    action_invalidate,
    action_request_changes,
    action_skip,
    action_validate,
    allowed_events,
    progress_available_to_partner,
)
from apps.onboarding.services.enrollment import partner_enroll, partner_reenroll
from apps.onboarding.services.errors import InvalidTransition, OnboardingError
from apps.onboarding.services.pipeline_guards import PipelineError, clean_form_fields
from apps.onboarding.services.pipelines import (
    action_archive,
    action_create,
    action_move,
    action_update,
    pipeline_assign_types,
    pipeline_create,
    pipeline_update,
    stage_archive,
    stage_create,
    stage_move,
    stage_update,
)
from apps.onboarding.services.queue import ValidateManyResult, actions_validate_many
from apps.onboarding.services.stages import enrollment_advance, stage_move_next

__all__ = [
    "CAM_EVENTS",
    "TRANSITIONS",
    "InvalidTransition",
    "OnboardingError",
    "PipelineError",
    "StoredFile",
    "ValidateManyResult",
    "action_archive",
    "action_complete",
    "action_create",
    "action_invalidate",
    "action_move",
    "action_request_changes",
    "action_skip",
    "action_update",
    "action_validate",
    "actions_validate_many",
    "allowed_events",
    "clean_form_fields",
    "enrollment_advance",
    "partner_enroll",
    "partner_reenroll",
    "pipeline_assign_types",
    "pipeline_create",
    "pipeline_update",
    "progress_available_to_partner",
    "stage_archive",
    "stage_create",
    "stage_move",
    "stage_move_next",
    "stage_update",
]
