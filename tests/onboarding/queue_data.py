"""Actions Waiting for approval across many partners, for the work queue's tests.

The partners, pipeline and enrollments are made by the product's services; the submissions
are then written straight to the rows (as `action_complete` leaves them), so a test can have
hundreds waiting without hundreds of partner users. Tests of the partner's own submission
use the `journey` fixture and `action_complete` instead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django_scopes import scope

from apps.onboarding.demo import pipeline_build
from apps.onboarding.models import ActionFile, ActionProgress, ActionStatus, Pipeline
from apps.onboarding.services import partner_enroll
from apps.partners.models import PartnerAccount, PartnerType
from tests.onboarding.factories import PI, UP, stage_specs
from tests.partners.factories import PartnerAccountFactory

_names = itertools.count(1)


@dataclass
class Queue:
    pipeline: Pipeline
    accounts: list[PartnerAccount]
    waiting: list[ActionProgress] = field(default_factory=list)  # oldest first


def queue_pipeline(program, *, per_partner: int, name: str = "") -> Pipeline:
    """A pipeline whose first stage has `per_partner` actions needing approval (Provide
    information and Upload document, alternately), then a second stage."""
    actions = [(f"Document {i + 1}", PI if i % 2 == 0 else UP, True) for i in range(per_partner)]
    spec = [("Paperwork", actions), ("Enablement", [("Sales questionnaire", PI, False)])]
    with scope(tenant=program.tenant):
        return pipeline_build(
            tenant=program.tenant,
            actor=program.admin,
            name=name or f"Approval pipeline {next(_names)}",
            partner_types=[],
            stages=stage_specs(spec),
        ).pipeline


def make_waiting(
    program,
    *,
    partners: int,
    per_partner: int = 1,
    cam=None,
    pipeline: Pipeline | None = None,
    oldest_days: int = 30,
) -> Queue:
    """`partners` new partner accounts of CAM `cam` (None: unassigned), each enrolled in
    `pipeline` (or a new `queue_pipeline`) with its first `per_partner` actions submitted and
    waiting, the oldest `oldest_days` ago, one minute apart in creation order."""
    tenant = program.tenant
    pipeline = pipeline or queue_pipeline(program, per_partner=per_partner)
    now = timezone.now()
    queue = Queue(pipeline=pipeline, accounts=[])
    with scope(tenant=tenant):
        reseller = PartnerType.objects.get(tenant=tenant, name="Reseller / VAR")
        for _ in range(partners):
            account = PartnerAccountFactory(tenant=tenant, partner_type=reseller, cam=cam)
            queue.accounts.append(account)
            enrollment = partner_enroll(
                tenant=tenant, actor=program.admin, account=account, pipeline=pipeline
            )
            rows = list(
                ActionProgress.objects.filter(tenant=tenant, enrollment=enrollment)
                .select_related("action")
                .order_by("action__stage__position", "action__position", "action__id")
            )[:per_partner]
            queue.waiting += rows
        for n, row in enumerate(queue.waiting):
            row.status = ActionStatus.WAITING_FOR_APPROVAL
            row.submitted_at = now - timedelta(days=oldest_days) + timedelta(minutes=n)
            row.submitted_by = program.admin
            row.submission_round = 1
            row.submission = (
                {"legal_name": f"{row.partner_account.name} Ltd", "vat_number": f"VAT{n}"}
                if row.action.type == PI
                else {}
            )
        ActionProgress.objects.bulk_update(
            queue.waiting,
            ["status", "submitted_at", "submitted_by", "submission_round", "submission"],
        )
        ActionFile.objects.bulk_create(
            ActionFile(
                tenant=tenant,
                progress=row,
                submission_round=1,
                file=f"tenants/{tenant.pk}/onboarding/queue-{row.pk}.pdf",
                original_name=f"document-{row.pk}.pdf",
                content_type="application/pdf",
                size=1234,
                uploaded_by=program.admin,
            )
            for row in queue.waiting
            if row.action.type == UP
        )
    return queue
