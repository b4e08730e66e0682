"""apps/onboarding/views_stages.py: a pipeline's stages through the builder's views."""

import pytest

from apps.onboarding.models import (
    Stage,
)
from tests.onboarding.pipeline_builder import in_scope, snapshot, stage_names, url

pytestmark = pytest.mark.django_db


# --- Stages --------------------------------------------------------------------------------


def test_add_a_stage_at_the_end(acme, admin, built):
    pipeline, _, _ = built
    response = admin.post(
        url("stage_create", pipeline_id=pipeline.pk),
        {"name": "Certification", "description": "Pass the exam"},
    )
    assert response.status_code == 302
    assert stage_names(acme, pipeline)[-1] == "Certification"


def test_add_a_stage_without_a_name_is_refused(acme, admin, built):
    pipeline, _, _ = built
    before = snapshot(acme)
    response = admin.post(url("stage_create", pipeline_id=pipeline.pk), {"name": ""})
    assert response.status_code == 422
    assert "Give the stage a name." in response.content.decode()
    assert snapshot(acme) == before


def test_rename_and_describe_a_stage(acme, admin, built):
    pipeline, stages, _ = built
    response = admin.post(
        url("stage_edit", pipeline_id=pipeline.pk, stage_id=stages[1].pk),
        {"name": "Contract & NDA", "description": "Sign both"},
    )
    assert response.status_code == 302
    stage = in_scope(acme, lambda: Stage.objects.get(pk=stages[1].pk))
    assert (stage.name, stage.description) == ("Contract & NDA", "Sign both")
    # An invalid edit re-renders with that stage's form open and changes nothing.
    bad = admin.post(
        url("stage_edit", pipeline_id=pipeline.pk, stage_id=stages[1].pk), {"name": ""}
    )
    assert bad.status_code == 422
    assert '<details class="popover" open>' in bad.content.decode()
    assert in_scope(acme, lambda: Stage.objects.get(pk=stages[1].pk).name) == "Contract & NDA"


def test_archive_a_stage_hides_it_with_a_note(acme, admin, built):
    pipeline, stages, _ = built
    response = admin.post(url("stage_archive", pipeline_id=pipeline.pk, stage_id=stages[2].pk))
    assert response.status_code == 302
    assert "Kick-off call" not in stage_names(acme, pipeline)
    assert in_scope(acme, lambda: Stage.objects.get(pk=stages[2].pk).archived_at) is not None
    page = admin.get(url("detail", pipeline_id=pipeline.pk)).content.decode()
    assert "1 archived stage hidden" in page
    # An archived stage is gone from the builder: acting on it is a 404.
    gone = admin.post(
        url("stage_move", pipeline_id=pipeline.pk, stage_id=stages[2].pk), {"direction": "up"}
    )
    assert gone.status_code == 404


def test_move_a_stage_up_and_down(acme, admin, built):
    pipeline, stages, _ = built
    move = url("stage_move", pipeline_id=pipeline.pk, stage_id=stages[2].pk)
    assert admin.post(move, {"direction": "up"}).status_code == 302
    assert stage_names(acme, pipeline) == [
        "Company details",
        "Kick-off call",
        "Contract",
        "Enablement",
    ]
    admin.post(move, {"direction": "down"})
    admin.post(move, {"direction": "down"})
    assert stage_names(acme, pipeline)[-1] == "Kick-off call"
    assert admin.post(move, {"direction": "sideways"}).status_code == 400
