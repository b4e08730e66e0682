from dataclasses import dataclass

import pytest
from django_scopes import scope

from apps.onboarding.models import ActionProgress
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


@pytest.fixture
def journey(acme):
    pipeline, stages, actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    enrollment = EnrollmentFactory(actor=acme.cam, account=acme.partner)
    return Journey(pipeline=pipeline, stages=stages, actions=actions, enrollment=enrollment)
