"""A partner's way through the stages: the automatic move, a CAM's move, completion.

Two status fields change here, each through its table: a partner's stage
(`StageProgress.status`) and the enrollment (`Enrollment.status`). Every entry point locks
the enrollment row first, so an automatic move racing a CAM moves the partner once.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.onboarding import verbs
from apps.onboarding.models import (
    DONE_STATUSES,
    ActionProgress,
    Enrollment,
    EnrollmentStatus,
    Stage,
    StageProgress,
    StageStatus,
)
from apps.onboarding.services.errors import InvalidTransition, OnboardingError, require_staff
from apps.onboarding.services.notices import notify_onboarding_completed, notify_stage_moved
from apps.onboarding.services.partner_log import onboarding_event_record

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.onboarding.models import Pipeline
    from apps.tenancy.models import Tenant

SS = StageStatus

# The only allowed changes of StageProgress.status: event -> (from statuses, to status).
# Rows are created Current (the first stage) or Pending; Not applicable is also given at
# creation to a stage added after the partner finished.
STAGE_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "enter": (frozenset({SS.PENDING}), SS.CURRENT),
    "complete": (frozenset({SS.CURRENT}), SS.COMPLETED),
    # The current stage was removed from the pipeline: the partner moves on, history kept.
    "remove": (frozenset({SS.CURRENT}), SS.NOT_APPLICABLE),
}

ES = EnrollmentStatus

# The only allowed changes of Enrollment.status. "supersede": the partner is moved to another
# pipeline (services/enrollment.py, partner_reenroll); the enrollment stays, read-only.
ENROLLMENT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "complete": (frozenset({ES.IN_PROGRESS}), ES.COMPLETED),
    "supersede": (frozenset({ES.IN_PROGRESS, ES.COMPLETED}), ES.SUPERSEDED),
}


ADVANCE_KIND = "onboarding.advance"


def enrollment_advance_after_commit(*, tenant: Tenant, enrollment_id: int) -> None:
    """Queue the automatic move of one partner: an outbox message in the current
    transaction, delivered by a worker once it commits (apps/onboarding/tasks.py)."""
    from apps.outbox.services import outbox_enqueue

    outbox_enqueue(
        tenant=tenant,
        kind=ADVANCE_KIND,
        payload={"enrollment_id": enrollment_id},
        summary=f"enrollment #{enrollment_id}",
    )


def _lock_enrollment(*, tenant: Tenant, enrollment_id: int) -> Enrollment:
    # No joins under FOR UPDATE: after waiting for the lock, only the locked row is re-read,
    # so the current stage must be loaded afterwards to see what the other mover did.
    enrollment = (
        Enrollment.objects.select_for_update().filter(tenant=tenant, pk=enrollment_id).first()
    )
    if enrollment is None:
        raise OnboardingError("That enrollment does not exist.")
    return enrollment


def _open_action_count(*, tenant: Tenant, enrollment: Enrollment, stage_id: int) -> tuple[int, int]:
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


def _next_stage(*, tenant: Tenant, enrollment: Enrollment) -> Stage | None:
    """The first stage still to do: after the current one in pipeline order, then before it
    (a stage moved earlier by an edit is not silently lost)."""
    pending = list(
        StageProgress.objects.filter(
            tenant=tenant,
            enrollment=enrollment,
            status__in=STAGE_TRANSITIONS["enter"][0],
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


def stage_progress_transition(
    *,
    tenant: Tenant,
    enrollment: Enrollment,
    stage: Stage,
    event: str,
    actor: User | None = None,
    now: datetime.datetime | None = None,
) -> None:
    """Move the partner's progress in `stage` by `event` of STAGE_TRANSITIONS.

    A step of the services below, under the enrollment's lock; refuses (and changes
    nothing) when the row is not in a status the event starts from.
    """
    sources, target = STAGE_TRANSITIONS[event]
    fields: dict[str, object] = {"status": target}
    if event == "complete":
        fields.update(completed_at=now or timezone.now(), completed_by=actor)
    elif event == "enter":
        fields["entered_at"] = now or timezone.now()
    changed = StageProgress.objects.filter(
        tenant=tenant, enrollment=enrollment, stage=stage, status__in=sources
    ).update(**fields)
    if not changed:
        raise InvalidTransition(
            _("The partner’s “%(stage)s” stage can’t change that way now.") % {"stage": stage.name}
        )


def _close_current_stage(
    *, tenant: Tenant, enrollment: Enrollment, actor: User | None, now: datetime.datetime
) -> None:
    stage = enrollment.current_stage
    assert stage is not None  # an enrollment in progress is always at a stage
    stage_progress_transition(
        tenant=tenant, enrollment=enrollment, stage=stage, event="complete", actor=actor, now=now
    )
    onboarding_event_record(
        tenant=tenant,
        account_id=enrollment.partner_account_id,
        type=verbs.STAGE_COMPLETED_EVENT,
        reference=f"stage:{stage.pk}",
        data={"stage": stage.name},
        actor=actor,
    )


def enrollment_complete(
    *, tenant: Tenant, enrollment: Enrollment, actor: User | None, now: datetime.datetime
) -> None:
    """The partner finished the pipeline. A step of the services here, under the lock."""
    sources, target = ENROLLMENT_TRANSITIONS["complete"]
    if enrollment.status not in sources:
        raise InvalidTransition("This partner has already completed onboarding.")
    previous = enrollment.current_stage
    enrollment.status = target
    enrollment.completed_at = now
    enrollment.current_stage = None
    enrollment.save(update_fields=["status", "completed_at", "current_stage"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.ONBOARDING_COMPLETED,
        target=enrollment,
        partner_id=enrollment.partner_account_id,
        data={
            "pipeline": enrollment.pipeline.name,
            "from": previous.name if previous else None,
        },
    )
    onboarding_event_record(
        tenant=tenant,
        account_id=enrollment.partner_account_id,
        type=verbs.COMPLETED_EVENT,
        reference=f"pipeline:{enrollment.pipeline_id}",
        data={"pipeline": enrollment.pipeline.name},
        actor=actor,
    )
    notify_onboarding_completed(tenant=tenant, enrollment=enrollment)


def enrollment_supersede(
    *,
    tenant: Tenant,
    enrollment: Enrollment,
    actor: User | None,
    now: datetime.datetime,
    to: Pipeline | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """The partner leaves this pipeline for `to`: the enrollment ends ("Moved to another
    pipeline") and stays, read-only, with all its progress. A step of `partner_reenroll`
    (services/enrollment.py), under the partner's lock; audited with from and to."""
    sources, target = ENROLLMENT_TRANSITIONS["supersede"]
    if enrollment.status not in sources:
        raise InvalidTransition(_("The partner has already left this pipeline."))
    before = enrollment.status
    enrollment.status = target
    enrollment.superseded_at = now
    enrollment.save(update_fields=["status", "superseded_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.ONBOARDING_MOVED,
        target=enrollment,
        partner_id=enrollment.partner_account_id,
        data={
            "from": enrollment.pipeline.name,
            "to": to.name if to is not None else None,
            "status": {"from": before, "to": target},
            "stage": enrollment.current_stage.name if enrollment.current_stage else None,
            **(data or {}),
        },
    )
    onboarding_event_record(
        tenant=tenant,
        account_id=enrollment.partner_account_id,
        type=verbs.LEFT_PIPELINE_EVENT,
        reference=f"pipeline:{enrollment.pipeline_id}",
        data={"pipeline": enrollment.pipeline.name, "to": to.name if to is not None else None},
        actor=actor,
    )


def _enter_stage(
    *,
    tenant: Tenant,
    enrollment: Enrollment,
    stage: Stage | None,
    actor: User | None,
    now: datetime.datetime,
) -> None:
    if stage is None:
        enrollment_complete(tenant=tenant, enrollment=enrollment, actor=actor, now=now)
        return
    previous = enrollment.current_stage
    enrollment.current_stage = stage
    enrollment.save(update_fields=["current_stage"])
    stage_progress_transition(
        tenant=tenant, enrollment=enrollment, stage=stage, event="enter", now=now
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.STAGE_MOVED,
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
def enrollment_advance(*, tenant: Tenant, enrollment_id: int) -> int:
    """Move the partner past every finished stage (the automatic move). Returns moves made.

    Idempotent: run twice, or racing a CAM, it moves the partner once, because it re-reads
    the state under the enrollment's lock and only moves past a stage that is done.
    A stage without actions is never passed here: a CAM moves the partner through it.
    """
    enrollment = _lock_enrollment(tenant=tenant, enrollment_id=enrollment_id)
    moves = 0
    now = timezone.now()
    # Only an enrollment in progress moves (not a completed one, nor one the partner left).
    while enrollment.status == ES.IN_PROGRESS:
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
            stage_progress_transition(
                tenant=tenant, enrollment=enrollment, stage=stage, event="remove"
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
def stage_move_next(
    *, tenant: Tenant, actor: User, enrollment_id: int, expected_stage_id: int
) -> Enrollment:
    """A CAM's "Move partner to the next stage", for a stage without actions.

    `expected_stage_id` is the stage the CAM saw: a double click or a second CAM finds the
    partner already moved and is refused instead of moving them twice.
    """
    require_staff(tenant=tenant, actor=actor)
    enrollment = _lock_enrollment(tenant=tenant, enrollment_id=enrollment_id)
    if enrollment.is_completed:
        raise InvalidTransition("This partner has already completed onboarding.")
    if enrollment.is_superseded:
        raise InvalidTransition(_("The partner has moved to another pipeline."))
    if enrollment.current_stage_id != expected_stage_id:
        raise InvalidTransition("The partner has already moved on from that stage.")
    total, open_ = _open_action_count(
        tenant=tenant, enrollment=enrollment, stage_id=expected_stage_id
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
    enrollment_advance_after_commit(tenant=tenant, enrollment_id=enrollment.pk)
    return enrollment
