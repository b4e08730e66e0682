"""Enrolling a partner account in a pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.onboarding import verbs
from apps.onboarding.models import (
    Action,
    ActionProgress,
    Enrollment,
    Pipeline,
    PipelineAssignment,
    Stage,
    StageProgress,
    StageStatus,
)
from apps.onboarding.services.errors import OnboardingError
from apps.onboarding.services.partner_log import onboarding_event_record
from apps.onboarding.services.stages import enrollment_complete

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.partners.models import PartnerAccount
    from apps.tenancy.models import Tenant


@transaction.atomic
def partner_enroll(
    *,
    tenant: Tenant,
    actor: User | None,
    account: PartnerAccount,
    pipeline: Pipeline | None = None,
) -> Enrollment | None:
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
    if not stages:
        enrollment_complete(tenant=tenant, enrollment=enrollment, actor=actor, now=timezone.now())
    return enrollment
