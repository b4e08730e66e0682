"""Every change to onboarding progress. Nothing else writes an action's or a stage's status.

Each transition of DOMAIN §4's table is one function: it runs in one transaction, locks the
row it changes (so two CAMs clicking at once produce one transition), refuses anything the
table does not allow with `InvalidTransition`, writes the audit event, and queues its side
effects (notifications, auto-advance) only after the commit.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.audit.services import audit_record
from apps.onboarding.models import (
    DONE_STATUSES,
    Action,
    ActionFile,
    ActionProgress,
    ActionStatus,
    Enrollment,
    EnrollmentStatus,
    PipelineAssignment,
    Stage,
    StageProgress,
    StageStatus,
)
from apps.partners.models import PartnerAccount, PartnerUser
from apps.partners.services import partner_event_record
from apps.tenancy.models import STAFF_ROLES, Membership


class InvalidTransition(Exception):
    """The change is not allowed now; the message says why and is shown to the user."""


class OnboardingError(Exception):
    """A rule of the pipeline was broken; the message is shown to the user."""


S = ActionStatus

# The only allowed transitions: event -> statuses it may start from. The target status is
# fixed per event, except "complete", whose target depends on the action's approval setting.
TRANSITIONS: dict[str, frozenset[str]] = {
    "complete": frozenset({S.PENDING, S.ACTION_REQUIRED}),
    "validate": frozenset({S.WAITING_FOR_APPROVAL}),
    "request_changes": frozenset({S.WAITING_FOR_APPROVAL}),
    "invalidate": frozenset({S.COMPLETED}),
    "skip": frozenset({S.PENDING}),
}
TARGETS = {
    "validate": S.COMPLETED,
    "request_changes": S.ACTION_REQUIRED,
    "invalidate": S.ACTION_REQUIRED,
    "skip": S.SKIPPED,
}
EVENT_LABELS = {
    "complete": "complete",
    "validate": "validate",
    "request_changes": "request changes on",
    "invalidate": "invalidate",
    "skip": "skip",
}


def allowed_events(progress: ActionProgress) -> list[str]:
    """The CAM buttons a status allows (the table above, seen from the console)."""
    events = []
    if progress.status == S.WAITING_FOR_APPROVAL:
        events += ["validate", "request_changes"]
    if progress.status == S.COMPLETED and progress.validated_at is not None:
        events.append("invalidate")
    if progress.status == S.PENDING:
        events.append("skip")
    return events


def _refuse(progress: ActionProgress, event: str) -> InvalidTransition:
    return InvalidTransition(
        f"You can’t {EVENT_LABELS[event]} “{progress.action.title}”: it is "
        f"{progress.get_status_display()}."
    )


def _lock_progress(*, tenant, progress_id: int) -> ActionProgress:
    # Lock the row alone: joined rows in a FOR UPDATE query are not re-read after waiting
    # for the lock, so related objects are loaded afterwards, fresh.
    progress = (
        ActionProgress.objects.select_for_update().filter(tenant=tenant, pk=progress_id).first()
    )
    if progress is None:
        raise InvalidTransition("That action does not exist.")
    progress.action = Action.objects.select_related("stage").get(pk=progress.action_id)
    progress.enrollment = Enrollment.objects.get(pk=progress.enrollment_id)
    progress.partner_account = PartnerAccount.objects.select_related("cam").get(
        pk=progress.partner_account_id
    )
    return progress


def _require_staff(*, tenant, actor) -> None:
    if not Membership.objects.filter(
        tenant=tenant, user=actor, role__in=STAFF_ROLES, is_active=True
    ).exists():
        raise InvalidTransition("Only channel managers can do this.")


def _audit_transition(*, tenant, actor, progress, verb, before, comment=""):
    data = {"from": before, "to": progress.status, "action": progress.action.title}
    if comment:
        data["comment"] = comment
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verb,
        target=progress,
        partner_id=progress.partner_account_id,
        data=data,
    )


def _event(*, tenant, account_id: int, type: str, reference: str, data: dict, actor=None) -> None:
    """Record the change in the partner's event log (milestones read it)."""
    partner_event_record(
        tenant=tenant,
        account_id=account_id,
        type=type,
        source="onboarding",
        reference=reference,
        data=data,
        actor=actor,
    )


def _action_completed_event(*, tenant, progress, actor) -> None:
    _event(
        tenant=tenant,
        account_id=progress.partner_account_id,
        type="onboarding.action_completed",
        reference=f"action:{progress.action_id}",
        data={
            "title": progress.action.title,
            "type": progress.action.type,
            "stage_id": progress.action.stage_id,
        },
        actor=actor,
    )


def _after_commit_advance(*, tenant, enrollment_id: int) -> None:
    from apps.onboarding.tasks import enrollment_advance_task

    transaction.on_commit(lambda: enrollment_advance_task.delay(tenant.pk, enrollment_id))


# --- Partner side ------------------------------------------------------------------------


def progress_available_to_partner(progress: ActionProgress) -> bool:
    """Partners act on the current stage's actions, plus any action in Action required."""
    if progress.status == S.ACTION_REQUIRED:
        return True
    enrollment = progress.enrollment
    return (
        progress.status == S.PENDING
        and progress.action.archived_at is None
        and enrollment.status == EnrollmentStatus.IN_PROGRESS
        and progress.action.stage_id == enrollment.current_stage_id
    )


@dataclass(frozen=True)
class StoredFile:
    """A checked upload, ready to be attached to the submission."""

    uploaded: object  # a django File
    original_name: str
    content_type: str
    size: int
    storage_key: str


@transaction.atomic
def action_complete(
    *,
    tenant,
    actor,
    progress_id: int,
    submission: dict | None = None,
    files: list[StoredFile] = (),
) -> ActionProgress:
    """The partner completes an action: Completed, or Waiting for approval."""
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    link = PartnerUser.objects.filter(
        tenant=tenant, membership__user=actor, account_id=progress.partner_account_id
    ).first()
    if link is None:
        raise InvalidTransition("Only the partner’s own users can complete its actions.")
    if progress.status not in TRANSITIONS["complete"]:
        raise _refuse(progress, "complete")
    if not progress_available_to_partner(progress):
        raise InvalidTransition(
            f"“{progress.action.title}” is not available yet: it belongs to a later stage."
        )
    before = progress.status
    now = timezone.now()
    needs_approval = progress.action.requires_approval
    progress.status = S.WAITING_FOR_APPROVAL if needs_approval else S.COMPLETED
    progress.submission = submission or {}
    progress.submitted_at = now
    progress.submitted_by = actor
    progress.submission_round += 1
    progress.completed_at = None if needs_approval else now
    progress.validated_by = None
    progress.validated_at = None
    progress.save(
        update_fields=[
            "status",
            "submission",
            "submitted_at",
            "submitted_by",
            "submission_round",
            "completed_at",
            "validated_by",
            "validated_at",
            "updated_at",
        ]
    )
    for stored in files:
        row = ActionFile(
            tenant=tenant,
            progress=progress,
            submission_round=progress.submission_round,
            original_name=stored.original_name,
            content_type=stored.content_type,
            size=stored.size,
            uploaded_by=actor,
        )
        row.file.save(stored.storage_key, stored.uploaded, save=False)
        row.save()
    _audit_transition(
        tenant=tenant, actor=actor, progress=progress, verb="action.completed", before=before
    )
    if needs_approval:
        from apps.onboarding.notifications import notify_waiting_for_approval

        notify_waiting_for_approval(tenant=tenant, progress=progress)
    else:
        _action_completed_event(tenant=tenant, progress=progress, actor=actor)
        _after_commit_advance(tenant=tenant, enrollment_id=progress.enrollment_id)
    return progress


# --- CAM side ------------------------------------------------------------------------------


@transaction.atomic
def action_validate(*, tenant, actor, progress_id: int) -> ActionProgress:
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    _require_staff(tenant=tenant, actor=actor)
    if progress.status not in TRANSITIONS["validate"]:
        raise _refuse(progress, "validate")
    before = progress.status
    now = timezone.now()
    progress.status = S.COMPLETED
    progress.completed_at = now
    progress.validated_by = actor
    progress.validated_at = now
    progress.comment = ""
    progress.save(
        update_fields=[
            "status",
            "completed_at",
            "validated_by",
            "validated_at",
            "comment",
            "updated_at",
        ]
    )
    _audit_transition(
        tenant=tenant, actor=actor, progress=progress, verb="action.validated", before=before
    )
    _action_completed_event(tenant=tenant, progress=progress, actor=actor)
    _after_commit_advance(tenant=tenant, enrollment_id=progress.enrollment_id)
    return progress


@transaction.atomic
def action_request_changes(*, tenant, actor, progress_id: int, comment: str) -> ActionProgress:
    comment = (comment or "").strip()
    if not comment:
        raise InvalidTransition("Say what needs to change: a comment is required.")
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    _require_staff(tenant=tenant, actor=actor)
    if progress.status not in TRANSITIONS["request_changes"]:
        raise _refuse(progress, "request_changes")
    before = progress.status
    progress.status = S.ACTION_REQUIRED
    progress.comment = comment
    progress.save(update_fields=["status", "comment", "updated_at"])
    _audit_transition(
        tenant=tenant,
        actor=actor,
        progress=progress,
        verb="action.changes_requested",
        before=before,
        comment=comment,
    )
    from apps.onboarding.notifications import notify_partner_redo

    notify_partner_redo(tenant=tenant, progress=progress, kind="action_changes_requested")
    return progress


@transaction.atomic
def action_invalidate(*, tenant, actor, progress_id: int, comment: str = "") -> ActionProgress:
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    _require_staff(tenant=tenant, actor=actor)
    if progress.status not in TRANSITIONS["invalidate"] or progress.validated_at is None:
        if progress.status == S.COMPLETED:
            raise InvalidTransition(
                f"“{progress.action.title}” completed without approval, so there is no "
                "validation to roll back."
            )
        raise _refuse(progress, "invalidate")
    before = progress.status
    progress.status = S.ACTION_REQUIRED
    progress.comment = (comment or "").strip()
    progress.completed_at = None
    progress.validated_by = None
    progress.validated_at = None
    progress.save(
        update_fields=[
            "status",
            "comment",
            "completed_at",
            "validated_by",
            "validated_at",
            "updated_at",
        ]
    )
    _audit_transition(
        tenant=tenant,
        actor=actor,
        progress=progress,
        verb="action.invalidated",
        before=before,
        comment=progress.comment,
    )
    from apps.onboarding.notifications import notify_partner_redo

    notify_partner_redo(tenant=tenant, progress=progress, kind="action_invalidated")
    return progress


@transaction.atomic
def action_skip(*, tenant, actor, progress_id: int) -> ActionProgress:
    progress = _lock_progress(tenant=tenant, progress_id=progress_id)
    _require_staff(tenant=tenant, actor=actor)
    if progress.status not in TRANSITIONS["skip"]:
        raise _refuse(progress, "skip")
    before = progress.status
    progress.status = S.SKIPPED
    progress.completed_at = timezone.now()
    progress.save(update_fields=["status", "completed_at", "updated_at"])
    _audit_transition(
        tenant=tenant, actor=actor, progress=progress, verb="action.skipped", before=before
    )
    _after_commit_advance(tenant=tenant, enrollment_id=progress.enrollment_id)
    return progress


CAM_EVENTS = {
    "validate": action_validate,
    "request_changes": action_request_changes,
    "invalidate": action_invalidate,
    "skip": action_skip,
}


# --- Stages ----------------------------------------------------------------------------------


def _lock_enrollment(*, tenant, enrollment_id: int) -> Enrollment:
    # No joins under FOR UPDATE: after waiting for the lock, only the locked row is re-read,
    # so the current stage must be loaded afterwards to see what the other mover did.
    enrollment = (
        Enrollment.objects.select_for_update().filter(tenant=tenant, pk=enrollment_id).first()
    )
    if enrollment is None:
        raise OnboardingError("That enrollment does not exist.")
    return enrollment


def _open_action_count(*, tenant, enrollment: Enrollment, stage_id: int) -> tuple[int, int]:
    """(actions the partner had in this stage, of which live and not done).

    Actions removed from the pipeline still count in the first number: a stage whose
    actions were all archived is finished, not a stage without actions waiting for a CAM.
    """
    rows = ActionProgress.objects.filter(
        tenant=tenant, enrollment=enrollment, action__stage_id=stage_id
    )
    counts = rows.aggregate(
        total=Count("id"),
        open=Count(
            "id",
            filter=Q(action__archived_at__isnull=True) & ~Q(status__in=DONE_STATUSES),
        ),
    )
    return counts["total"], counts["open"]


def _next_stage(*, tenant, enrollment: Enrollment) -> Stage | None:
    """The first stage still to do: after the current one in pipeline order, then before it
    (a stage moved earlier by an edit is not silently lost)."""
    pending = list(
        StageProgress.objects.filter(
            tenant=tenant,
            enrollment=enrollment,
            status=StageStatus.PENDING,
            stage__archived_at__isnull=True,
        )
        .select_related("stage")
        .order_by("stage__position", "stage__id")
    )
    if not pending:
        return None
    current = enrollment.current_stage
    if current is not None:
        later = [
            p for p in pending if (p.stage.position, p.stage.id) > (current.position, current.id)
        ]
        if later:
            return later[0].stage
    return pending[0].stage


def _close_current_stage(*, tenant, enrollment: Enrollment, actor, now) -> None:
    stage = enrollment.current_stage
    StageProgress.objects.filter(tenant=tenant, enrollment=enrollment, stage=stage).update(
        status=StageStatus.COMPLETED, completed_at=now, completed_by=actor
    )
    _event(
        tenant=tenant,
        account_id=enrollment.partner_account_id,
        type="onboarding.stage_completed",
        reference=f"stage:{stage.pk}",
        data={"stage": stage.name},
        actor=actor,
    )


def _enter_stage(*, tenant, enrollment: Enrollment, stage: Stage | None, actor, now) -> None:
    from apps.onboarding.notifications import notify_onboarding_completed, notify_stage_moved

    previous = enrollment.current_stage
    if stage is None:
        enrollment.status = EnrollmentStatus.COMPLETED
        enrollment.completed_at = now
        enrollment.current_stage = None
        enrollment.save(update_fields=["status", "completed_at", "current_stage"])
        audit_record(
            tenant=tenant,
            actor=actor,
            verb="onboarding.completed",
            target=enrollment,
            partner_id=enrollment.partner_account_id,
            data={
                "pipeline": enrollment.pipeline.name,
                "from": previous.name if previous else None,
            },
        )
        _event(
            tenant=tenant,
            account_id=enrollment.partner_account_id,
            type="onboarding.completed",
            reference=f"pipeline:{enrollment.pipeline_id}",
            data={"pipeline": enrollment.pipeline.name},
            actor=actor,
        )
        notify_onboarding_completed(tenant=tenant, enrollment=enrollment)
        return
    enrollment.current_stage = stage
    enrollment.save(update_fields=["current_stage"])
    StageProgress.objects.filter(tenant=tenant, enrollment=enrollment, stage=stage).update(
        status=StageStatus.CURRENT
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb="stage.moved",
        target=enrollment,
        partner_id=enrollment.partner_account_id,
        data={
            "from": previous.name if previous else None,
            "to": stage.name,
            "how": "automatic" if actor is None else "manual",
        },
    )
    notify_stage_moved(tenant=tenant, enrollment=enrollment, stage=stage)


@transaction.atomic
def enrollment_advance(*, tenant, enrollment_id: int) -> int:
    """Move the partner past every finished stage (the automatic move). Returns moves made.

    Idempotent: run twice, or racing a CAM, it moves the partner once, because it re-reads
    the state under the enrollment's lock and only moves past a stage that is done.
    A stage without actions is never passed here: a CAM moves the partner through it.
    """
    enrollment = _lock_enrollment(tenant=tenant, enrollment_id=enrollment_id)
    moves = 0
    now = timezone.now()
    while enrollment.status == EnrollmentStatus.IN_PROGRESS:
        stage = enrollment.current_stage
        if stage is not None and stage.archived_at is None:
            total, open_ = _open_action_count(
                tenant=tenant, enrollment=enrollment, stage_id=stage.pk
            )
            if total == 0 or open_ > 0:
                break
            _close_current_stage(tenant=tenant, enrollment=enrollment, actor=None, now=now)
        elif stage is not None:
            # The current stage was removed from the pipeline: move on, keep its history.
            StageProgress.objects.filter(tenant=tenant, enrollment=enrollment, stage=stage).update(
                status=StageStatus.NOT_APPLICABLE
            )
        _enter_stage(
            tenant=tenant,
            enrollment=enrollment,
            stage=_next_stage(tenant=tenant, enrollment=enrollment),
            actor=None,
            now=now,
        )
        moves += 1
    return moves


@transaction.atomic
def stage_move_next(*, tenant, actor, enrollment_id: int, expected_stage_id: int) -> Enrollment:
    """A CAM's "Move partner to the next stage", for a stage without actions.

    `expected_stage_id` is the stage the CAM saw: a double click or a second CAM finds the
    partner already moved and is refused instead of moving them twice.
    """
    _require_staff(tenant=tenant, actor=actor)
    enrollment = _lock_enrollment(tenant=tenant, enrollment_id=enrollment_id)
    if enrollment.status != EnrollmentStatus.IN_PROGRESS:
        raise InvalidTransition("This partner has already completed onboarding.")
    if enrollment.current_stage_id != expected_stage_id:
        raise InvalidTransition("The partner has already moved on from that stage.")
    total, open_ = _open_action_count(
        tenant=tenant, enrollment=enrollment, stage_id=enrollment.current_stage_id
    )
    if open_:
        raise InvalidTransition(
            "This stage still has actions to complete or skip; the partner moves on "
            "automatically once they are done."
        )
    now = timezone.now()
    _close_current_stage(tenant=tenant, enrollment=enrollment, actor=actor, now=now)
    _enter_stage(
        tenant=tenant,
        enrollment=enrollment,
        stage=_next_stage(tenant=tenant, enrollment=enrollment),
        actor=actor,
        now=now,
    )
    # Following stages may already be done (actions skipped ahead of time).
    _after_commit_advance(tenant=tenant, enrollment_id=enrollment.pk)
    return enrollment


# --- Enrollment ------------------------------------------------------------------------------


@transaction.atomic
def partner_enroll(*, tenant, actor, account: PartnerAccount, pipeline=None) -> Enrollment | None:
    """Enroll a partner account in its type's pipeline (or `pipeline`), at the first stage.

    Returns None when no pipeline applies. Enrolling twice is refused.
    """
    if pipeline is None:
        assignment = (
            PipelineAssignment.objects.filter(
                tenant=tenant, partner_type_id=account.partner_type_id
            )
            .select_related("pipeline")
            .first()
        )
        if assignment is None:
            return None
        pipeline = assignment.pipeline
    if pipeline.tenant_id != tenant.pk or pipeline.archived_at is not None:
        raise OnboardingError("Unknown pipeline.")
    if Enrollment.objects.filter(tenant=tenant, partner_account=account).exists():
        raise OnboardingError(f"{account.name} is already enrolled.")
    stages = list(
        Stage.objects.filter(tenant=tenant, pipeline=pipeline, archived_at__isnull=True).order_by(
            "position", "id"
        )
    )
    enrollment = Enrollment.objects.create(
        tenant=tenant,
        partner_account=account,
        pipeline=pipeline,
        current_stage=stages[0] if stages else None,
    )
    StageProgress.objects.bulk_create(
        StageProgress(
            tenant=tenant,
            enrollment=enrollment,
            stage=stage,
            status=StageStatus.CURRENT if i == 0 else StageStatus.PENDING,
        )
        for i, stage in enumerate(stages)
    )
    ActionProgress.objects.bulk_create(
        ActionProgress(tenant=tenant, enrollment=enrollment, action=action, partner_account=account)
        for action in Action.objects.filter(
            tenant=tenant, stage__in=stages, archived_at__isnull=True
        )
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb="onboarding.enrolled",
        target=enrollment,
        partner_id=account.pk,
        data={"pipeline": pipeline.name, "stage": stages[0].name if stages else None},
    )
    _event(
        tenant=tenant,
        account_id=account.pk,
        type="onboarding.enrolled",
        reference=f"pipeline:{pipeline.pk}",
        data={"pipeline": pipeline.name},
        actor=actor,
    )
    if not stages:
        _enter_stage(
            tenant=tenant, enrollment=enrollment, stage=None, actor=actor, now=timezone.now()
        )
    return enrollment


__all__ = [
    "InvalidTransition",
    "OnboardingError",
    "TRANSITIONS",
    "TARGETS",
    "CAM_EVENTS",
    "StoredFile",
    "allowed_events",
    "progress_available_to_partner",
    "action_complete",
    "action_validate",
    "action_request_changes",
    "action_invalidate",
    "action_skip",
    "enrollment_advance",
    "stage_move_next",
    "partner_enroll",
]
