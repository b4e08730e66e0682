"""services/approvals.py: the CAM's approval digest (sent by tasks.approval_digest_send)."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.notifications.models import EmailStatus, Notification
from apps.onboarding.models import ActionProgress
from apps.onboarding.services import action_complete, partner_enroll
from apps.onboarding.tasks import approval_digest_send
from apps.outbox.models import OutboxMessage
from tests.onboarding.conftest import PI, build_pipeline

pytestmark = pytest.mark.django_db


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
    # Twenty submissions schedule one digest (the first writes the window's message).
    with scopes_disabled():
        digests = OutboxMessage.objects.filter(
            kind="onboarding.approval_digest", payload__user_id=acme.cam.pk
        )
        assert digests.count() == 1
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
