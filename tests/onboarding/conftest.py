from dataclasses import dataclass

import pytest
from django_scopes import scope

from apps.onboarding.models import ActionProgress, Enrollment
from apps.onboarding.services import action_complete, action_validate
from tests.onboarding.factories import (  # noqa: F401 - the tests import them from here
    DEFAULT_SPEC,
    PI,
    UP,
    EnrollmentFactory,
    build_pipeline,
)
from tests.onboarding.pipeline_builder import admin, built, content  # noqa: F401 - fixtures


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

    def reloaded(self):
        """The enrollment as the database has it now, with its current stage."""
        with scope(tenant=self.pipeline.tenant):
            return Enrollment.objects.select_related("current_stage").get(pk=self.enrollment.pk)

    def complete(self, program, title, validate=True):
        """The partner user completes `title`; a CAM validates it when it needs approval."""
        progress = self.progress(title)
        with scope(tenant=program.tenant):
            action_complete(
                tenant=program.tenant,
                actor=program.partner_user,
                progress_id=progress.pk,
                submission={"legal_name": "X"},
            )
            if validate and self.actions[title].requires_approval:
                action_validate(tenant=program.tenant, actor=program.cam, progress_id=progress.pk)


@pytest.fixture
def journey(acme):
    pipeline, stages, actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    enrollment = EnrollmentFactory(actor=acme.cam, account=acme.partner)
    return Journey(pipeline=pipeline, stages=stages, actions=actions, enrollment=enrollment)
