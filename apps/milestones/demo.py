"""Demo milestone tracking for `seed_demo`. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from apps.milestones import verbs
from apps.milestones.models import CompletionKind, Milestone, PartnerTrack
from apps.milestones.services import (
    milestone_event_record,
    milestone_template_install,
    partner_track_start,
)
from apps.onboarding.models import PipelineAssignment, Stage
from apps.partners import verbs as partner_verbs
from apps.partners.models import PartnerAccount

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant

# Contoso's history: (day after enrolment, event type, source, reference, data).
CONTOSO_EVENTS: list[tuple[int, str, str, str, dict[str, Any]]] = [
    (1, partner_verbs.PORTAL_ACCESS_CONFIRMED_EVENT, "portal", "", {}),
    (2, verbs.PROFILE_COMPLETED_EVENT, "console", "", {"label": "Partner profile completed"}),
    (
        18,
        verbs.CERTIFICATION_ATTEMPTED_EVENT,
        "api",
        "technical",
        {"course": "Acme Cloud Deployment Specialist"},
    ),
    (
        19,
        verbs.CERTIFICATION_FAILED_EVENT,
        "api",
        "technical",
        {"course": "Acme Cloud Deployment Specialist", "score": 64},
    ),
    (
        33,
        verbs.MDF_REQUESTED_EVENT,
        "api",
        "MDF-2207",
        {"campaign": "Managed backup webinar", "amount": 5000, "currency": "USD"},
    ),
    (
        38,
        verbs.DEAL_REGISTERED_EVENT,
        "api",
        "DR-1042",
        {"customer": "Initech", "amount": 48000, "currency": "USD"},
    ),
]


def milestones_seed_demo(*, tenant: Tenant, cam: User) -> None:
    """The milestone template (programs created before milestones existed lack it), then
    Contoso Managed IT (MSP) enrolled 40 days ago with part of its milestones done, and
    Adventure Works Referrals (30-day window) 45 days ago with none: after the first sweep
    the CAM has overdue alerts, and Adventure Works is a dark partner. Partners already
    tracked are left alone."""
    milestone_template_install(tenant=tenant)
    _orientation_stages(tenant=tenant)
    now = timezone.now()
    contoso = PartnerAccount.objects.get(tenant=tenant, name="Contoso Managed IT")
    if not PartnerTrack.objects.filter(tenant=tenant, account=contoso).exists():
        enrolled = now - timedelta(days=40)
        partner_track_start(tenant=tenant, actor=cam, account=contoso, enrolled_at=enrolled)
        for day, type_, source, reference, data in CONTOSO_EVENTS:
            milestone_event_record(
                tenant=tenant,
                account_id=contoso.pk,
                type=type_,
                source=source,
                actor=cam if source == "console" else None,
                occurred_at=enrolled + timedelta(days=day, hours=3),
                reference=reference,
                data=dict(data),
            )
    adventure = PartnerAccount.objects.get(tenant=tenant, name="Adventure Works Referrals")
    if not PartnerTrack.objects.filter(tenant=tenant, account=adventure).exists():
        partner_track_start(
            tenant=tenant, actor=cam, account=adventure, enrolled_at=now - timedelta(days=45)
        )


def _orientation_stages(*, tenant: Tenant) -> None:
    """The demo's orientation is the first stage of each type's onboarding pipeline: set it on
    the tracks whose orientation has no items chosen yet."""
    pipelines = dict(
        PipelineAssignment.objects.filter(tenant=tenant).values_list(
            "partner_type_id", "pipeline_id"
        )
    )
    first_stage: dict[int, int] = {}
    for stage in Stage.objects.filter(
        tenant=tenant, pipeline_id__in=set(pipelines.values()), archived_at__isnull=True
    ).order_by("-position", "-id"):
        first_stage[stage.pipeline_id] = stage.pk
    for milestone in Milestone.objects.filter(
        tenant=tenant, completion=CompletionKind.SHARE, stage__isnull=True, items=[]
    ).select_related("track"):
        pipeline_id = pipelines.get(milestone.track.partner_type_id)
        if pipeline_id in first_stage:
            milestone.stage_id = first_stage[pipeline_id]
            milestone.save(update_fields=["stage"])
