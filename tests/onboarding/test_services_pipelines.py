"""services/pipelines.py: editing a live pipeline never loses a partner's progress and never
silently blocks one."""

import pytest
from django_scopes import scope

from apps.onboarding.models import (
    Action,
    ActionProgress,
    ActionType,
    Enrollment,
    Stage,
    StageProgress,
)
from apps.onboarding.services import (
    action_complete,
    action_skip,
    enrollment_advance,
    partner_enroll,
)
from apps.onboarding.services.pipeline_guards import PipelineError
from apps.onboarding.services.pipelines import (
    action_archive,
    action_create,
    stage_archive,
    stage_create,
    stage_move,
)
from apps.onboarding.tasks import onboarding_reconcile

pytestmark = pytest.mark.django_db
UP = ActionType.UPLOAD_DOCUMENT


def _finish_stage_one(acme, journey):
    with scope(tenant=acme.tenant):
        for title in ("Legal details", "Tax form"):
            action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress(title).pk)
        enrollment_advance(tenant=acme.tenant, enrollment_id=journey.enrollment.pk)


def test_new_action_is_pending_only_for_partners_not_past_its_stage(acme, journey):
    _finish_stage_one(acme, journey)  # partner one is now in stage 2
    with scope(tenant=acme.tenant):
        fresh = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.other_partner)
        added_past = action_create(
            tenant=acme.tenant,
            actor=acme.admin,
            stage=journey.stages[0],
            type=UP,
            title="Bank details",
        )
        added_ahead = action_create(
            tenant=acme.tenant,
            actor=acme.admin,
            stage=journey.stages[1],
            type=UP,
            title="Insurance certificate",
        )
        assert not ActionProgress.objects.filter(
            enrollment=journey.enrollment, action=added_past
        ).exists()
        assert ActionProgress.objects.get(enrollment=fresh, action=added_past).status == "pending"
        assert (
            ActionProgress.objects.get(enrollment=journey.enrollment, action=added_ahead).status
            == "pending"
        )
        # Partner one's completed stage stays completed.
        first = StageProgress.objects.get(enrollment=journey.enrollment, stage=journey.stages[0])
        assert first.status == "completed"


def test_removing_the_last_open_action_lets_the_partner_move_on(acme, journey):
    with scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=journey.progress("Tax form").pk,
        )
        action_archive(
            tenant=acme.tenant, actor=acme.admin, action=journey.actions["Legal details"]
        )
    assert onboarding_reconcile() == 1
    with scope(tenant=acme.tenant):
        enrollment = Enrollment.objects.get(pk=journey.enrollment.pk)
        assert enrollment.current_stage == journey.stages[1]
        # History of the removed action is kept.
        assert ActionProgress.objects.filter(action=journey.actions["Legal details"]).exists()


def test_removing_the_current_stage_moves_partners_on(acme, journey):
    with scope(tenant=acme.tenant):
        stage_archive(tenant=acme.tenant, actor=acme.admin, stage=journey.stages[0])
    assert onboarding_reconcile() == 1
    with scope(tenant=acme.tenant):
        assert Enrollment.objects.get(pk=journey.enrollment.pk).current_stage == journey.stages[1]


def test_new_stage_is_done_by_partners_still_in_the_pipeline(acme, journey):
    with scope(tenant=acme.tenant):
        extra = stage_create(
            tenant=acme.tenant, actor=acme.admin, pipeline=journey.pipeline, name="Certification"
        )
        assert (
            StageProgress.objects.get(enrollment=journey.enrollment, stage=extra).status
            == "pending"
        )


def test_reordering_stages_changes_what_comes_next(acme, journey):
    with scope(tenant=acme.tenant):
        # Move "Enablement" (last) up twice: it now follows "Company details".
        stage_move(tenant=acme.tenant, actor=acme.admin, stage=journey.stages[3], direction="up")
        stage_move(tenant=acme.tenant, actor=acme.admin, stage=journey.stages[3], direction="up")
    _finish_stage_one(acme, journey)
    with scope(tenant=acme.tenant):
        assert Enrollment.objects.get(pk=journey.enrollment.pk).current_stage == journey.stages[3]


def test_form_definition_is_checked(acme, journey):
    with scope(tenant=acme.tenant):
        with pytest.raises(PipelineError, match="at least one field"):
            action_create(
                tenant=acme.tenant,
                actor=acme.admin,
                stage=journey.stages[0],
                type=ActionType.PROVIDE_INFORMATION,
                title="Empty",
                form_fields=[],
            )
        with pytest.raises(PipelineError, match="two choices"):
            action_create(
                tenant=acme.tenant,
                actor=acme.admin,
                stage=journey.stages[0],
                type=ActionType.PROVIDE_INFORMATION,
                title="Bad",
                form_fields=[{"label": "Size", "kind": "choice", "choices": ["S"]}],
            )
        with pytest.raises(PipelineError, match="approval"):
            action_create(
                tenant=acme.tenant,
                actor=acme.admin,
                stage=journey.stages[0],
                type=ActionType.VIEW_ASSET,
                title="Deck",
                requires_approval=True,
            )


def test_archiving_every_open_action_of_the_current_stage_never_blocks(acme, journey):
    with scope(tenant=acme.tenant):
        for title in ("Legal details", "Tax form"):
            action_archive(tenant=acme.tenant, actor=acme.admin, action=journey.actions[title])
    assert onboarding_reconcile() == 1
    with scope(tenant=acme.tenant):
        assert Enrollment.objects.get(pk=journey.enrollment.pk).current_stage == journey.stages[1]


def test_moving_an_archived_action_or_stage_changes_nothing(acme, journey):
    from apps.onboarding.services.pipelines import action_move

    def positions():
        return (
            list(Action.objects.order_by("id").values_list("pk", "position")),
            list(Stage.objects.order_by("id").values_list("pk", "position")),
        )

    with scope(tenant=acme.tenant):
        # Both would move if they were live: each has a live neighbour above it.
        action = journey.actions["Tax form"]
        action_archive(tenant=acme.tenant, actor=acme.admin, action=action)
        stage_archive(tenant=acme.tenant, actor=acme.admin, stage=journey.stages[3])
        before = positions()
        action_move(tenant=acme.tenant, actor=acme.admin, action=action, direction="up")
        stage_move(tenant=acme.tenant, actor=acme.admin, stage=journey.stages[3], direction="up")
        assert positions() == before
        # The same move of a live stage does change the order (the check above can fail).
        stage_move(tenant=acme.tenant, actor=acme.admin, stage=journey.stages[2], direction="up")
        assert positions() != before


def test_blank_names_are_refused(acme, journey):
    from apps.onboarding.services.pipelines import pipeline_create

    with scope(tenant=acme.tenant):
        with pytest.raises(PipelineError, match="name"):
            pipeline_create(tenant=acme.tenant, actor=acme.admin, name="   ")
        with pytest.raises(PipelineError, match="name"):
            stage_create(tenant=acme.tenant, actor=acme.admin, pipeline=journey.pipeline, name="")


@pytest.mark.parametrize("archive", ["stage", "action"])
def test_archiving_queues_the_move_of_only_the_partners_at_that_stage(
    acme, journey, monkeypatch, django_capture_on_commit_callbacks, archive
):
    from apps.onboarding.tasks import enrollment_advance_handle

    _finish_stage_one(acme, journey)  # partner one is past the first stage
    with scope(tenant=acme.tenant):
        at_stage = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.other_partner)
        # Tax form done for partner two: archiving Legal details finishes its stage.
        action_skip(
            tenant=acme.tenant,
            actor=acme.cam,
            progress_id=ActionProgress.objects.get(
                enrollment=at_stage, action=journey.actions["Tax form"]
            ).pk,
        )
    from tests.outbox.helpers import queued_by

    reconciles = []
    monkeypatch.setattr(onboarding_reconcile, "delay", lambda: reconciles.append("reconcile"))

    def archive_it():
        with scope(tenant=acme.tenant):
            if archive == "stage":
                stage_archive(tenant=acme.tenant, actor=acme.admin, stage=journey.stages[0])
            else:
                action_archive(
                    tenant=acme.tenant, actor=acme.admin, action=journey.actions["Legal details"]
                )

    queued = queued_by(archive_it, kind="onboarding.advance")
    # Only partner two is at that stage; no all-tenant pass is queued.
    assert queued == [(acme.tenant.pk, {"enrollment_id": at_stage.pk})]
    assert reconciles == []
    # And the outbox's delivery moves partner two on.
    with scope(tenant=acme.tenant):
        enrollment_advance_handle(tenant=acme.tenant, payload=queued[0][1])
    with scope(tenant=acme.tenant):
        assert Enrollment.objects.get(pk=at_stage.pk).current_stage == journey.stages[1]


def test_form_fields_get_keys_from_their_labels_and_two_with_one_label_are_refused():
    from apps.onboarding.services.pipeline_guards import clean_form_fields

    cleaned = clean_form_fields(
        [
            {"label": "Number of sales reps", "kind": "number"},
            {"label": "Société", "kind": "text"},
            {"key": "region", "label": "Sales region", "kind": "text"},
        ]
    )
    assert [f["key"] for f in cleaned] == ["number_of_sales_reps", "societe", "region"]
    # A new field labelled like a kept key gets a free key; the kept one keeps its own.
    cleaned = clean_form_fields(
        [{"key": "region", "label": "Region"}, {"label": "Region", "kind": "text"}]
    )
    assert [f["key"] for f in cleaned] == ["region", "region_2"]
    with pytest.raises(PipelineError, match="Two fields"):
        clean_form_fields([{"label": "Name"}, {"label": "name"}])
