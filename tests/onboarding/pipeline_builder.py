"""The pipeline builder's test helpers and fixtures (registered in conftest.py)."""

import pytest
from django.urls import reverse
from django_scopes import scope

from apps.content.services import article_save, asset_create
from apps.onboarding.models import (
    Action,
    ActionProgress,
    ActionType,
    Enrollment,
    Pipeline,
    PipelineAssignment,
    Stage,
)
from tests.onboarding.factories import DEFAULT_SPEC, build_pipeline

PI = ActionType.PROVIDE_INFORMATION
UP = ActionType.UPLOAD_DOCUMENT


def url(name, **kwargs):
    return reverse(f"pipelines:{name}", kwargs=kwargs)


def in_scope(program, fn):
    with scope(tenant=program.tenant):
        return fn()


def snapshot(program):
    """Every builder-owned row of a tenant: any write through the builder changes it."""

    def read():
        return (
            list(Pipeline.objects.order_by("pk").values()),
            list(PipelineAssignment.objects.order_by("pk").values()),
            list(Stage.objects.order_by("pk").values()),
            list(Action.objects.order_by("pk").values()),
            list(Enrollment.objects.order_by("pk").values()),
            list(ActionProgress.objects.order_by("pk").values("pk", "status")),
        )

    return in_scope(program, read)


@pytest.fixture
def built(acme):
    pipeline, stages, actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    return pipeline, stages, actions


@pytest.fixture
def admin(acme, client_for):
    return client_for(acme, acme.admin)


@pytest.fixture
def content(acme):
    with scope(tenant=acme.tenant):
        asset = asset_create(
            tenant=acme.tenant,
            actor=acme.admin,
            title="Partner price list",
            url="https://example.com/prices",
        )
        article = article_save(
            tenant=acme.tenant,
            actor=acme.admin,
            title="How deal registration works",
            body_markdown="Register deals early.",
            publish=True,
        )
        draft = article_save(
            tenant=acme.tenant,
            actor=acme.admin,
            title="Unpublished draft",
            body_markdown="Not yet.",
        )
    return {"asset": asset, "article": article, "draft": draft}


def live_actions(program, stage):
    return in_scope(
        program,
        lambda: list(
            Action.objects.filter(stage=stage, archived_at__isnull=True)
            .order_by("position", "id")
            .values_list("title", flat=True)
        ),
    )


def stage_names(program, pipeline):
    return in_scope(
        program,
        lambda: list(
            Stage.objects.filter(pipeline=pipeline, archived_at__isnull=True)
            .order_by("position", "id")
            .values_list("name", flat=True)
        ),
    )
