"""Enrolling a partner account in a pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.onboarding import verbs
from apps.onboarding.models import (
    DONE_STATUSES,
    Action,
    ActionProgress,
    Enrollment,
    EnrollmentStatus,
    Pipeline,
    PipelineAssignment,
    Stage,
    StageProgress,
    StageStatus,
)
from apps.onboarding.services.errors import OnboardingError, require_staff
from apps.onboarding.services.nudges import welcome_email_send
from apps.onboarding.services.partner_log import onboarding_event_record
from apps.onboarding.services.stages import enrollment_complete, enrollment_supersede
from apps.partners.models import PartnerAccount

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant


def _refuse_archived(pipeline: Pipeline) -> None:
    if pipeline.archived_at is not None:
        raise OnboardingError(
            _("“%(pipeline)s” is archived: it takes no new partners. Restore it first.")
            % {"pipeline": pipeline.name}
        )


@transaction.atomic
def partner_enroll(
    *,
    tenant: Tenant,
    actor: User | None,
    account: PartnerAccount,
    pipeline: Pipeline | None = None,
) -> Enrollment | None:
    """Enroll a partner account in its type's pipeline (or `pipeline`), at the first stage.

    Returns None when no pipeline applies (also when the type's default pipeline has been
    archived: an archived pipeline takes no new partners). Enrolling twice is refused, and so
    is enrolling in an archived `pipeline`.
    """
    if pipeline is None:
        assignment = (
            PipelineAssignment.objects.filter(
                tenant=tenant, partner_type_id=account.partner_type_id
            )
            .select_related("pipeline")
            .first()
        )
        if assignment is None or assignment.pipeline.archived_at is not None:
            return None
        pipeline = assignment.pipeline
    if pipeline.tenant_id != tenant.pk:
        raise OnboardingError(_("Unknown pipeline."))
    _refuse_archived(pipeline)
    if (
        Enrollment.objects.filter(tenant=tenant, partner_account=account)
        .exclude(status=EnrollmentStatus.SUPERSEDED)
        .exists()
    ):
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
            entered_at=enrollment.started_at if i == 0 else None,
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
        verb=verbs.ONBOARDING_ENROLLED,
        target=enrollment,
        partner_id=account.pk,
        data={"pipeline": pipeline.name, "stage": stages[0].name if stages else None},
    )
    onboarding_event_record(
        tenant=tenant,
        account_id=account.pk,
        type=verbs.ENROLLED_EVENT,
        reference=f"pipeline:{pipeline.pk}",
        data={"pipeline": pipeline.name},
        actor=actor,
    )
    welcome_email_send(tenant=tenant, enrollment=enrollment)
    if not stages:
        enrollment_complete(tenant=tenant, enrollment=enrollment, actor=actor, now=timezone.now())
    return enrollment


# --- Moving a partner to another pipeline (its type changed) ------------------------------


def enrollment_action_counts(*, tenant: Tenant, enrollment: Enrollment) -> tuple[int, int]:
    """(actions done, actions the partner had) in `enrollment`, archived ones included:
    what stays in the history when the partner moves on."""
    counts = ActionProgress.objects.filter(tenant=tenant, enrollment=enrollment).aggregate(
        total=Count("id"), done=Count("id", filter=Q(status__in=DONE_STATUSES))
    )
    return counts["done"], counts["total"]


@transaction.atomic
def partner_reenroll(
    *, tenant: Tenant, actor: User, account_id: int, pipeline_id: int
) -> Enrollment:
    """Move a partner to another pipeline (staff): its current enrollment ends as
    "Moved to another pipeline", kept read-only with all its progress, and a new enrollment
    starts at the first stage of `pipeline_id` (through `partner_enroll`).

    A partner not enrolled yet is simply enrolled. The account row is locked first, so two
    people confirming at once move the partner once (the second is refused). Refused: the
    pipeline it is already in, an archived or unknown pipeline (another program's).
    """
    require_staff(tenant=tenant, actor=actor)
    account = (
        PartnerAccount.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk=account_id)
        .first()
    )
    if account is None:
        raise OnboardingError(_("Unknown partner account."))
    pipeline = Pipeline.objects.filter(tenant=tenant, pk=pipeline_id).first()
    if pipeline is None:
        raise OnboardingError(_("Unknown pipeline."))
    _refuse_archived(pipeline)
    current = (
        Enrollment.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, partner_account=account)
        .exclude(status=EnrollmentStatus.SUPERSEDED)
        .select_related("pipeline", "current_stage")
        .first()
    )
    if current is None:
        enrollment = partner_enroll(tenant=tenant, actor=actor, account=account, pipeline=pipeline)
        assert enrollment is not None  # a pipeline was given
        return enrollment
    if current.pipeline_id == pipeline.pk:
        raise OnboardingError(
            _("%(partner)s is already in the pipeline “%(pipeline)s”.")
            % {"partner": account.name, "pipeline": pipeline.name}
        )
    done, total = enrollment_action_counts(tenant=tenant, enrollment=current)
    enrollment_supersede(
        tenant=tenant,
        enrollment=current,
        actor=actor,
        now=timezone.now(),
        to=pipeline,
        data={"actions_done": done, "actions_total": total},
    )
    enrollment = partner_enroll(tenant=tenant, actor=actor, account=account, pipeline=pipeline)
    assert enrollment is not None  # a pipeline was given
    return enrollment
