"""Milestone alerts never reach a user account deactivated on the platform (`is_active`
False) while its membership is still on; deactivated memberships are covered in
test_sweep_routing.py."""

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django_scopes import scope

from apps.home.services import staff_member_add
from apps.milestones.selectors.alerts import digest_recipients_all_tenants
from apps.milestones.tasks import alert_digest_send_task
from apps.notifications.models import Notification
from apps.partners.selectors import responsible_staff_by_account_all_tenants
from apps.tenancy.models import Role
from tests.milestones.conftest import day, start_tracking, sweep

pytestmark = pytest.mark.django_db

REVIEW = "milestone_review_ready"
DIGEST = "milestone_alert_digest"


def _user_off(user) -> None:
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)


@pytest.fixture
def gone_admin(acme):
    """A second program admin whose user account is switched off (membership still on)."""
    with scope(tenant=acme.tenant):
        gone = staff_member_add(
            tenant=acme.tenant, actor=acme.admin, email="gone@acme.test", role=Role.PROGRAM_ADMIN
        ).user
    _user_off(gone)
    return gone


def _recipients(program, kind):
    with scope(tenant=program.tenant):
        return sorted(
            Notification.objects.filter(tenant=program.tenant, kind=kind).values_list(
                "recipient__email", flat=True
            )
        )


def _run_digests(at):
    """Choose the recipients and send each one's digest, as the hourly task and the outbox
    handler do."""
    with time_machine.travel(at, tick=False):
        for tenant_id, user_id in digest_recipients_all_tenants(today=at.date()):
            alert_digest_send_task(tenant_id, user_id)


def test_a_cam_switched_off_gets_no_review_notice_the_active_admin_does(acme, gone_admin):
    start_tracking(acme)
    _user_off(acme.cam)
    sweep(day(75))
    assert _recipients(acme, REVIEW) == ["admin@acme.test"]


def test_responsible_staff_skip_switched_off_users(acme, gone_admin):
    _user_off(acme.cam)
    staff = responsible_staff_by_account_all_tenants(account_ids=[acme.partner.pk])
    assert [u.email for u in staff[acme.partner.pk]] == ["admin@acme.test"]


def test_a_cam_switched_off_gets_no_digest_their_partners_go_to_the_admin(acme, gone_admin):
    start_tracking(acme)
    sweep(day(20))
    _user_off(acme.cam)
    at = day(21).replace(hour=8)
    with time_machine.travel(at, tick=False):
        recipients = digest_recipients_all_tenants(today=at.date())
        assert recipients == [(acme.tenant.pk, acme.admin.pk)]
        # Queued before the switch-off: still nothing for them.
        assert alert_digest_send_task(acme.tenant.pk, acme.cam.pk) == 0
        assert alert_digest_send_task(acme.tenant.pk, gone_admin.pk) == 0
    _run_digests(at)
    assert _recipients(acme, DIGEST) == ["admin@acme.test"]


def test_a_cam_switched_off_after_queueing_gets_nothing(acme):
    start_tracking(acme)
    sweep(day(20))
    at = day(21).replace(hour=8)
    with time_machine.travel(at, tick=False):
        assert digest_recipients_all_tenants(today=at.date()) == [(acme.tenant.pk, acme.cam.pk)]
        _user_off(acme.cam)
        assert alert_digest_send_task(acme.tenant.pk, acme.cam.pk) == 0
    assert _recipients(acme, DIGEST) == []
