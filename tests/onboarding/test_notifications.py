import pytest
from django.core.cache import cache
from django_scopes import scope

from apps.notifications.models import EmailStatus, Notification
from apps.onboarding.models import ActionProgress, ActionType
from apps.onboarding.services import (
    action_complete,
    action_invalidate,
    action_request_changes,
    action_skip,
    action_validate,
    enrollment_advance,
    partner_enroll,
)
from apps.onboarding.tasks import approval_digest_send, onboarding_reconcile
from tests.onboarding.conftest import PI, build_pipeline

pytestmark = pytest.mark.django_db


def _kinds(program, user):
    with scope(tenant=program.tenant):
        return list(
            Notification.objects.filter(recipient=user)
            .order_by("id")
            .values_list("kind", flat=True)
        )


def test_partner_users_hear_about_redo_requests_and_stage_moves(acme, journey):
    legal = journey.progress("Legal details")
    with scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=legal.pk,
            submission={"legal_name": "x"},
        )
        action_request_changes(
            tenant=acme.tenant,
            actor=acme.cam,
            progress_id=legal.pk,
            comment="Full legal name, please",
        )
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=legal.pk,
            submission={"legal_name": "x"},
        )
        action_validate(tenant=acme.tenant, actor=acme.cam, progress_id=legal.pk)
        action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress("Tax form").pk)
        enrollment_advance(tenant=acme.tenant, enrollment_id=journey.enrollment.pk)
        action_invalidate(tenant=acme.tenant, actor=acme.cam, progress_id=legal.pk)
    for user in (acme.partner_user, acme.partner_admin):
        kinds = _kinds(acme, user)
        assert "action_changes_requested" in kinds
        assert "action_invalidated" in kinds
        assert "stage_moved" in kinds
    with scope(tenant=acme.tenant):
        note = Notification.objects.filter(
            recipient=acme.partner_user, kind="action_changes_requested"
        ).get()
    assert "Full legal name, please" in note.body
    assert note.email_status == EmailStatus.PENDING  # emailed after commit
    # The other partner account hears nothing.
    assert _kinds(acme, acme.other_partner_user) == []


def test_waiting_for_approval_is_in_app_at_once_and_emailed_as_one_digest(acme, mailoutbox):
    build_pipeline(
        acme,
        stages_spec=[("Forms", [(f"Form {i}", PI, True) for i in range(20)])],
    )
    with scope(tenant=acme.tenant):
        enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
        for progress in ActionProgress.objects.filter(enrollment=enrollment):
            action_complete(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                progress_id=progress.pk,
                submission={"legal_name": "x"},
            )
        waiting = Notification.objects.filter(recipient=acme.cam, kind="action_waiting")
        assert waiting.count() == 20
        assert set(waiting.values_list("email_status", flat=True)) == {EmailStatus.NONE}
    # Twenty submissions schedule one digest (the first reserves the window).
    cache.delete(f"approval-digest:{acme.tenant.pk}:{acme.cam.pk}")
    assert cache.add(f"approval-digest:{acme.tenant.pk}:{acme.cam.pk}", 1, 60) is True
    assert cache.add(f"approval-digest:{acme.tenant.pk}:{acme.cam.pk}", 1, 60) is False
    assert approval_digest_send(acme.tenant.pk, acme.cam.pk) == 20
    with scope(tenant=acme.tenant):
        digests = Notification.objects.filter(recipient=acme.cam, kind="approvals_digest")
        assert digests.count() == 1
        digest = digests.get()
    assert digest.in_app is False
    assert "20 actions waiting for your approval" in digest.title
    assert "Form 19" in digest.email_text
    # Nothing new since: the next digest sends nothing.
    assert approval_digest_send(acme.tenant.pk, acme.cam.pk) == 0
    # The digest never shows in the CAM's in-app list.
    from apps.notifications.selectors import notifications_for

    with scope(tenant=acme.tenant):
        assert (
            not notifications_for(tenant=acme.tenant, recipient=acme.cam)
            .filter(kind="approvals_digest")
            .exists()
        )


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
    onboarding_reconcile()
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
    onboarding_reconcile()
    with scope(tenant=tenant):
        assert ActionProgress.objects.get(enrollment=enrollment, action=read).status == "completed"
        assert ActionProgress.objects.get(enrollment=enrollment, action=view).status == "completed"
