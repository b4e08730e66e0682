"""services/reconcile.py: the periodic pass that repairs what lost tasks left undone."""

import logging

import pytest
from django_scopes import scope

from apps.onboarding.models import ActionProgress, ActionType, Enrollment, StageProgress
from apps.onboarding.selectors import enrollments_due_for_advance_all_tenants
from apps.onboarding.services import (
    action_skip,
    partner_enroll,
)
from apps.onboarding.services.reconcile import onboarding_reconcile_all_tenants
from apps.onboarding.tasks import onboarding_reconcile
from tests.onboarding.conftest import EnrollmentFactory

pytestmark = pytest.mark.django_db


def _enrollment(journey):
    return journey.reloaded()


def _complete(acme, journey, title, validate=True):
    journey.complete(acme, title, validate=validate)


def test_reconciliation_repairs_a_lost_advance(acme, journey, globex):
    # The completions commit but their advance tasks are lost (never executed).
    _complete(acme, journey, "Legal details")
    _complete(acme, journey, "Tax form")
    due = enrollments_due_for_advance_all_tenants()
    assert (acme.tenant.pk, journey.enrollment.pk) in due
    assert onboarding_reconcile() == 1
    assert _enrollment(journey).current_stage == journey.stages[1]
    assert onboarding_reconcile() == 0


def test_reconciliation_ignores_stages_waiting_for_a_cam(acme, journey):
    with scope(tenant=acme.tenant):
        for title in ("Legal details", "Tax form", "Signed NDA"):
            action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress(title).pk)
    assert onboarding_reconcile() == 2  # through Contract, to the stage without actions
    assert _enrollment(journey).current_stage == journey.stages[2]
    assert journey.enrollment.pk not in [e for _, e in enrollments_due_for_advance_all_tenants()]


def test_opening_content_from_the_library_completes_the_action(acme, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.content.services import article_save, asset_create, content_open_record
    from apps.core.uploads import UploadPolicy, validate_upload
    from apps.onboarding.services.pipelines import (
        action_create,
        pipeline_assign_types,
        pipeline_create,
        stage_create,
    )
    from apps.partners.models import PartnerType

    settings.MEDIA_ROOT = str(tmp_path)
    tenant = acme.tenant
    with scope(tenant=tenant):
        pdf = validate_upload(
            SimpleUploadedFile("guide.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
            UploadPolicy(),
        )
        asset = asset_create(tenant=tenant, actor=acme.admin, title="Guide", upload=pdf)
        article = article_save(
            tenant=tenant, actor=acme.admin, title="Tour", body_markdown="Hello", publish=True
        )
        pipeline = pipeline_create(tenant=tenant, actor=acme.admin, name="P")
        pipeline_assign_types(
            tenant=tenant,
            actor=acme.admin,
            pipeline=pipeline,
            partner_types=list(PartnerType.objects.filter(tenant=tenant)),
        )
        stage = stage_create(tenant=tenant, actor=acme.admin, pipeline=pipeline, name="S1")
        view = action_create(
            tenant=tenant,
            actor=acme.admin,
            stage=stage,
            type=ActionType.VIEW_ASSET,
            title="View",
            asset=asset,
        )
        read = action_create(
            tenant=tenant,
            actor=acme.admin,
            stage=stage,
            type=ActionType.READ_ARTICLE,
            title="Read",
            article=article,
        )
        stage2 = stage_create(tenant=tenant, actor=acme.admin, pipeline=pipeline, name="S2")
        action_create(
            tenant=tenant,
            actor=acme.admin,
            stage=stage2,
            type=ActionType.VIEW_ASSET,
            title="View again",
            asset=asset,
        )
        enrollment = partner_enroll(tenant=tenant, actor=acme.cam, account=acme.partner)
        other = partner_enroll(tenant=tenant, actor=acme.cam, account=acme.other_partner)
        content_open_record(
            tenant=tenant,
            user=acme.partner_user,
            partner_account=acme.partner,
            asset=asset,
            kind="view",
        )
    assert onboarding_reconcile() == 0  # "Read" keeps the stage open
    with scope(tenant=tenant):
        statuses = dict(
            ActionProgress.objects.filter(enrollment=enrollment).values_list(
                "action__title", "status"
            )
        )
        assert statuses["View"] == "completed"
        assert statuses["Read"] == "pending"
        assert statuses["View again"] == "pending"  # a later stage: not available yet
        # Another partner's open does not count for partner one, and vice versa.
        assert set(
            ActionProgress.objects.filter(enrollment=other).values_list("status", flat=True)
        ) == {"pending"}
        content_open_record(
            tenant=tenant,
            user=acme.partner_admin,
            partner_account=acme.partner,
            article=article,
            kind="read",
        )
    assert onboarding_reconcile() == 1  # the stage is done: on to S2
    with scope(tenant=tenant):
        assert ActionProgress.objects.get(enrollment=enrollment, action=read).status == "completed"
        assert ActionProgress.objects.get(enrollment=enrollment, action=view).status == "completed"


def _finish_stage_one(program, enrollment, journey):
    """Skip the first stage's actions; the advance tasks are lost (never run here)."""
    with scope(tenant=program.tenant):
        for title in ("Legal details", "Tax form"):
            progress = ActionProgress.objects.get(
                enrollment=enrollment, action=journey.actions[title]
            )
            action_skip(tenant=program.tenant, actor=program.cam, progress_id=progress.pk)


def _stage_of(program, enrollment):
    with scope(tenant=program.tenant):
        return Enrollment.objects.get(pk=enrollment.pk).current_stage_id


def test_a_row_that_raises_is_logged_and_skipped_and_the_others_are_repaired(acme, journey, caplog):
    broken = journey.enrollment
    other = EnrollmentFactory(actor=acme.cam, account=acme.other_partner)
    assert broken.pk < other.pk  # the failing row comes first in the pass's id order
    for enrollment in (broken, other):
        _finish_stage_one(acme, enrollment, journey)
    # Corrupt data, for real: the broken partner's current stage is already marked
    # completed, so moving them past it is refused (StageProgress's table) and raises.
    with scope(tenant=acme.tenant):
        StageProgress.objects.filter(enrollment=broken, stage=journey.stages[0]).update(
            status="completed"
        )
    due = [e for _, e in enrollments_due_for_advance_all_tenants()]
    assert due == [broken.pk, other.pk]

    caplog.set_level(logging.ERROR, logger="apps.onboarding.services.reconcile")
    # One row per batch: the failing row must not be fetched again ahead of the others.
    assert onboarding_reconcile_all_tenants(batch_size=1) == 1
    assert _stage_of(acme, other) == journey.stages[1].pk
    assert _stage_of(acme, broken) == journey.stages[0].pk
    failures = [r for r in caplog.records if r.name == "apps.onboarding.services.reconcile"]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert str(broken.pk) in failures[0].getMessage()
    with scope(tenant=acme.tenant):
        stage_one = StageProgress.objects.get(enrollment=broken, stage=journey.stages[0])
    assert stage_one.status == "completed"  # the failed row's transaction rolled back

    # The next pass tries the broken row again, logs it again, and has nothing else to do.
    caplog.clear()
    assert onboarding_reconcile() == 0
    assert [r.name for r in caplog.records if r.levelno >= logging.ERROR] == [
        "apps.onboarding.services.reconcile"
    ]


def test_the_pass_walks_every_batch(acme, journey):
    other = EnrollmentFactory(actor=acme.cam, account=acme.other_partner)
    for enrollment in (journey.enrollment, other):
        _finish_stage_one(acme, enrollment, journey)
    assert onboarding_reconcile_all_tenants(batch_size=1) == 2
    for enrollment in (journey.enrollment, other):
        assert _stage_of(acme, enrollment) == journey.stages[1].pk
