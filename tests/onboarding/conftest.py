from dataclasses import dataclass

import pytest
from django_scopes import scope

from apps.onboarding.models import ActionProgress, ActionType
from apps.onboarding.services import partner_enroll
from apps.onboarding.services.pipelines import (
    action_create,
    pipeline_assign_types,
    pipeline_create,
    stage_create,
)
from apps.partners.models import PartnerType


@dataclass
class Journey:
    pipeline: object
    stages: list
    actions: dict  # title -> Action
    enrollment: object

    def progress(self, title):
        with scope(tenant=self.pipeline.tenant):
            return ActionProgress.objects.get(
                enrollment=self.enrollment, action=self.actions[title]
            )


def build_pipeline(program, *, stages_spec):
    """stages_spec: [(stage name, [(title, type, requires_approval), ...]), ...]"""
    tenant = program.tenant
    with scope(tenant=tenant):
        pipeline = pipeline_create(tenant=tenant, actor=program.admin, name="Reseller onboarding")
        reseller = PartnerType.objects.get(tenant=tenant, name="Reseller / VAR")
        pipeline_assign_types(
            tenant=tenant, actor=program.admin, pipeline=pipeline, partner_types=[reseller]
        )
        stages, actions = [], {}
        for name, specs in stages_spec:
            stage = stage_create(tenant=tenant, actor=program.admin, pipeline=pipeline, name=name)
            stages.append(stage)
            for title, type_, approval in specs:
                extra = {}
                if type_ == ActionType.PROVIDE_INFORMATION:
                    extra["form_fields"] = [
                        {"label": "Legal name", "kind": "text", "required": True},
                        {"label": "VAT number", "kind": "text", "required": False},
                    ]
                actions[title] = action_create(
                    tenant=tenant,
                    actor=program.admin,
                    stage=stage,
                    type=type_,
                    title=title,
                    requires_approval=approval,
                    **extra,
                )
    return pipeline, stages, actions


PI = ActionType.PROVIDE_INFORMATION
UP = ActionType.UPLOAD_DOCUMENT

DEFAULT_SPEC = [
    ("Company details", [("Legal details", PI, True), ("Tax form", UP, False)]),
    ("Contract", [("Signed NDA", UP, True)]),
    ("Kick-off call", []),
    ("Enablement", [("Sales questionnaire", PI, False)]),
]


@pytest.fixture
def journey(acme):
    pipeline, stages, actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    with scope(tenant=acme.tenant):
        enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
    return Journey(pipeline=pipeline, stages=stages, actions=actions, enrollment=enrollment)
