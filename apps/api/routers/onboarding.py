"""/api/v1/partners/{partner_id}/onboarding: a partner's enrollment, stages and action
statuses, and the transitions an API key makes on them (complete, validate, request changes,
skip) through the same services as the portal and the console, the key acting as itself.

Actions are named by their id in the pipeline (`action:<id>` in the partner's event log);
the partner's progress of it is looked up in the partner's current enrollment, so an action of
another pipeline (another partner's) or of another program is a 404. A transition the action
status table refuses is a 409 `conflict` with the domain's message, and changes nothing.
"""

from collections.abc import Callable
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Path, Router

from apps.api.auth import scoped
from apps.api.errors import CONFLICT, INVALID, NOT_FOUND, ApiError, ErrorOut
from apps.api.schemas.common import ID_MAX
from apps.api.schemas.onboarding import (
    ActionCompleteIn,
    ActionRequestChangesIn,
    ActionSkipIn,
    OnboardingActionOut,
    OnboardingOut,
)
from apps.api.selectors_onboarding import (
    OnboardingView,
    api_partner_get,
    onboarding_view,
    partner_action_progress,
)
from apps.onboarding.forms import ProvideInformationForm
from apps.onboarding.models import ActionProgress, ActionType
from apps.onboarding.services import (
    InvalidTransition,
    action_complete,
    action_request_changes,
    action_skip,
    action_validate,
)
from apps.onboarding.services.actions import event_allowed, progress_available_to_partner
from apps.partners.models import PartnerAccount, PartnerStatus

router = Router(tags=["Onboarding"])

READ = "onboarding:read"
WRITE = "onboarding:write"

PartnerId = Annotated[int, Path(ge=1, le=ID_MAX, description="The partner account's id.")]
ActionId = Annotated[
    int,
    Path(ge=1, le=ID_MAX, description="The action's id in the pipeline (see `actions[].id`)."),
]

_READ_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
_WRITE_ERRORS: dict[int, Any] = {**_READ_ERRORS, 409: ErrorOut}

# The events the console offers a CAM, in its order; "complete" (the partner's) comes first.
_STAFF_EVENTS = ("validate", "request_changes", "skip")


# --- Presenting rows ------------------------------------------------------------------------


def _can_complete(row: ActionProgress, account: PartnerAccount) -> bool:
    """What `action_complete` would allow an API key now (row.enrollment and row.action
    loaded): not an upload (files come through the portal), not a suspended partner, the
    status table, and the partner's current stage (or an action to redo)."""
    event = "submit" if row.action.requires_approval else "complete"
    return (
        row.action.type != ActionType.UPLOAD_DOCUMENT
        and account.status != PartnerStatus.SUSPENDED
        and event_allowed(row, event)
        and progress_available_to_partner(row)
    )


def _action(row: ActionProgress, account: PartnerAccount) -> dict[str, Any]:
    action = row.action
    events = ["complete"] if _can_complete(row, account) else []
    events += [event for event in _STAFF_EVENTS if event_allowed(row, event)]
    return {
        "id": action.pk,
        "stage_id": action.stage_id,
        "title": action.title,
        "type": action.type,
        "requires_approval": action.requires_approval,
        "status": row.status,
        "archived": action.archived_at is not None,
        "submitted_at": row.submitted_at,
        "completed_at": row.completed_at,
        "validated_at": row.validated_at,
        "comment": row.comment,
        "submission": row.submission if isinstance(row.submission, dict) else {},
        "events": events,
        "updated_at": row.updated_at,
    }


def _onboarding(view: OnboardingView) -> dict[str, Any]:
    enrollment = view.enrollment
    return {
        "partner_id": view.account.pk,
        "enrollment_id": enrollment.pk,
        "pipeline": {"id": enrollment.pipeline.pk, "name": enrollment.pipeline.name},
        "status": enrollment.status,
        "started_at": enrollment.started_at,
        "completed_at": enrollment.completed_at,
        "current_stage_id": enrollment.current_stage_id,
        "progress": {"done": view.done, "total": view.total, "percent": view.percent},
        "stages": [
            {
                "id": progress.stage.pk,
                "name": progress.stage.name,
                "position": position,
                "status": progress.status,
                "archived": progress.stage.archived_at is not None,
                "entered_at": progress.entered_at,
                "completed_at": progress.completed_at,
                "actions": [
                    _action(row, view.account) for row in view.actions.get(progress.stage_id, [])
                ],
            }
            for position, progress in enumerate(view.stages, start=1)
        ],
    }


# --- Lookups --------------------------------------------------------------------------------


def _partner(request: HttpRequest, partner_id: int) -> PartnerAccount:
    account = api_partner_get(tenant=request.tenant, partner_id=partner_id)  # type: ignore[attr-defined]
    if account is None:
        raise ApiError(404, NOT_FOUND, _("No partner with that id."))
    return account


def _progress(request: HttpRequest, partner_id: int, action_id: int) -> ActionProgress:
    account = _partner(request, partner_id)
    row = partner_action_progress(tenant=request.tenant, account=account, action_id=action_id)  # type: ignore[attr-defined]
    if row is None:
        raise ApiError(404, NOT_FOUND, _("This partner has no action with that id."))
    return row


def _transition(
    request: HttpRequest, service: Callable[..., ActionProgress], **kwargs: Any
) -> dict[str, Any]:
    """Run an action service as the request's API key; a refusal is a 409."""
    try:
        row = service(tenant=request.tenant, actor=request.api_key, **kwargs)  # type: ignore[attr-defined]
    except InvalidTransition as exc:
        raise ApiError(409, CONFLICT, str(exc)) from exc
    return _action(row, row.partner_account)


# --- Endpoints ------------------------------------------------------------------------------


@router.get(
    "/{partner_id}/onboarding",
    auth=scoped(READ),
    response={200: OnboardingOut, **_READ_ERRORS},
    operation_id="partner_onboarding_get",
    summary="Get a partner's onboarding",
    description=(
        "The partner's current enrollment: its pipeline, current stage, every stage with its "
        "status and dates, and each stage's actions with their type, status and times, and "
        "the transitions the API may make on each now. 404 when the partner is not enrolled "
        "in a pipeline. Scope `onboarding:read`."
    ),
)
def partner_onboarding_get(request: HttpRequest, partner_id: PartnerId) -> dict[str, Any]:
    account = _partner(request, partner_id)
    view = onboarding_view(tenant=request.tenant, account=account)  # type: ignore[attr-defined]
    if view is None:
        raise ApiError(404, NOT_FOUND, _("This partner is not enrolled in a pipeline."))
    return _onboarding(view)


def _answers(row: ActionProgress, payload: ActionCompleteIn | None) -> dict[str, Any] | None:
    """The submission of a completion: a Provide information action's answers, checked as
    the portal's form checks them (400 `invalid` naming each field)."""
    answers = payload.answers if payload is not None else None
    if row.action.type != ActionType.PROVIDE_INFORMATION:
        if answers:
            raise ApiError(
                400,
                INVALID,
                _("The request is not valid."),
                fields={"answers": [_("Only Provide information actions take answers.")]},
            )
        return None
    answers = answers or {}
    form = ProvideInformationForm(data=answers, action=row.action)
    unknown = sorted(set(answers) - set(form.fields))
    errors: dict[str, list[str]] = {
        f"answers.{key}": [_("Unknown field: the form has no field with this key.")]
        for key in unknown
    }
    if not form.is_valid():
        for key, messages in form.errors.items():
            errors[f"answers.{key}"] = [str(message) for message in messages]
    if errors:
        raise ApiError(400, INVALID, _("The request is not valid."), fields=errors)
    return form.answers()


@router.post(
    "/{partner_id}/onboarding/actions/{action_id}/complete",
    auth=scoped(WRITE),
    response={200: OnboardingActionOut, **_WRITE_ERRORS},
    operation_id="partner_action_complete",
    summary="Complete an action for the partner",
    description=(
        "Completes the action on the partner's behalf (e.g. an LMS reporting a course done), "
        "as a partner user would in the portal: `completed`, or `waiting_for_approval` when "
        "the action needs a channel manager's validation. A Provide information action takes "
        "its form's `answers`; an Upload document action cannot be completed through the "
        "API (its files are uploaded in the portal). Only an action of the partner's current "
        "stage, or one in `action_required`, can be completed. The partner moves to the next "
        "stage automatically when this was the stage's last open action. Scope "
        "`onboarding:write`; 409 `conflict` when the status does not allow it."
    ),
)
def partner_action_complete(
    request: HttpRequest,
    partner_id: PartnerId,
    action_id: ActionId,
    payload: Body[ActionCompleteIn | None] = None,
) -> dict[str, Any]:
    row = _progress(request, partner_id, action_id)
    if row.action.type == ActionType.UPLOAD_DOCUMENT:
        raise ApiError(
            409,
            CONFLICT,
            _("“%(title)s” is completed by uploading files: the partner does it in the portal.")
            % {"title": row.action.title},
        )
    submission = _answers(row, payload)
    return _transition(request, action_complete, progress_id=row.pk, submission=submission)


@router.post(
    "/{partner_id}/onboarding/actions/{action_id}/validate",
    auth=scoped(WRITE),
    response={200: OnboardingActionOut, **_WRITE_ERRORS},
    operation_id="partner_action_validate",
    summary="Validate an action waiting for approval",
    description=(
        "A channel manager's **Validate**, made by the API key: `waiting_for_approval` → "
        "`completed`. The partner moves on automatically when the stage is done. Of two "
        "requests at once, one validates and the other gets 409. Scope `onboarding:write`."
    ),
)
def partner_action_validate(
    request: HttpRequest, partner_id: PartnerId, action_id: ActionId
) -> dict[str, Any]:
    row = _progress(request, partner_id, action_id)
    return _transition(request, action_validate, progress_id=row.pk)


@router.post(
    "/{partner_id}/onboarding/actions/{action_id}/request-changes",
    auth=scoped(WRITE),
    response={200: OnboardingActionOut, **_WRITE_ERRORS},
    operation_id="partner_action_request_changes",
    summary="Request changes on an action waiting for approval",
    description=(
        "A channel manager's **Request changes**, made by the API key: "
        "`waiting_for_approval` → `action_required`, with a `message` telling the partner "
        "what to change (the partner's users are notified). Scope `onboarding:write`."
    ),
)
def partner_action_request_changes(
    request: HttpRequest,
    partner_id: PartnerId,
    action_id: ActionId,
    payload: ActionRequestChangesIn,
) -> dict[str, Any]:
    row = _progress(request, partner_id, action_id)
    return _transition(request, action_request_changes, progress_id=row.pk, comment=payload.message)


@router.post(
    "/{partner_id}/onboarding/actions/{action_id}/skip",
    auth=scoped(WRITE),
    response={200: OnboardingActionOut, **_WRITE_ERRORS},
    operation_id="partner_action_skip",
    summary="Skip a pending action",
    description=(
        "A channel manager's **Skip**, made by the API key: `pending` → `skipped` (final: "
        "the partner cannot complete it later), with an optional `reason` kept in the audit "
        "log. The partner moves on automatically when the stage is done. Scope "
        "`onboarding:write`."
    ),
)
def partner_action_skip(
    request: HttpRequest,
    partner_id: PartnerId,
    action_id: ActionId,
    payload: Body[ActionSkipIn | None] = None,
) -> dict[str, Any]:
    row = _progress(request, partner_id, action_id)
    reason = payload.reason if payload is not None else ""
    return _transition(request, action_skip, progress_id=row.pk, comment=reason)
