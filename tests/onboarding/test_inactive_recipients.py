"""Onboarding messages never reach a deactivated person: a membership turned off in the
program, or a user account turned off on the platform (`user.is_active` False) while the
membership is still on. Approval digests, in-app notices, reminders (nudges)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.accounts.models import User
from apps.notifications.models import Notification
from apps.onboarding.models import ActionProgress
from apps.onboarding.services import action_complete, action_request_changes, partner_enroll
from apps.onboarding.services.nudges import nudge_recipients, nudge_send, nudge_sweep
from apps.onboarding.tasks import approval_digest_send
from apps.tenancy.models import Membership
from tests.onboarding.factories import DEFAULT_SPEC, build_pipeline

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _user_off(user) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


def _membership_off(program, user) -> None:
    with scope(tenant=program.tenant):
        Membership.objects.filter(tenant=program.tenant, user=user).update(is_active=False)


OFF = {"user deactivated": lambda p, u: _user_off(u), "membership deactivated": _membership_off}


def _notified(program, kind):
    with scope(tenant=program.tenant):
        return sorted(
            Notification.objects.filter(tenant=program.tenant, kind=kind).values_list(
                "recipient__email", flat=True
            )
        )


@pytest.fixture
def enrolled(acme):
    """acme's partner enters "Company details" (Legal details, Tax form) at T0."""
    pipeline, stages, actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    with time_machine.travel(T0, tick=False), scope(tenant=acme.tenant):
        enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
    return enrollment


def _submit_all(program, enrollment):
    """The partner admin submits "Legal details" (it needs approval)."""
    with scope(tenant=program.tenant):
        rows = list(
            ActionProgress.objects.filter(enrollment=enrollment, action__title="Legal details")
        )
        for progress in rows:
            action_complete(
                tenant=program.tenant,
                actor=program.partner_admin,
                progress_id=progress.pk,
                submission={"legal_name": "x"},
            )
    return rows


@pytest.mark.parametrize("off", OFF.values(), ids=OFF.keys())
def test_a_deactivated_cam_gets_no_approval_digest_the_admins_are_told(acme, enrolled, off):
    off(acme, acme.cam)
    _submit_all(acme, enrolled)
    # The in-app "waiting" notices went to the active admin, never the CAM.
    assert set(_notified(acme, "action_waiting")) == {"admin@acme.test"}
    # A digest queued for the CAM (before the deactivation) sends nothing.
    assert approval_digest_send(acme.tenant.pk, acme.cam.pk) == 0
    assert approval_digest_send(acme.tenant.pk, acme.admin.pk) >= 1
    assert _notified(acme, "approvals_digest") == ["admin@acme.test"]


def test_a_cam_deactivated_after_the_submissions_gets_no_digest(acme, enrolled):
    _submit_all(acme, enrolled)
    assert "cam@acme.test" in _notified(acme, "action_waiting")
    _user_off(acme.cam)
    assert approval_digest_send(acme.tenant.pk, acme.cam.pk) == 0
    assert _notified(acme, "approvals_digest") == []


@pytest.mark.parametrize("off", OFF.values(), ids=OFF.keys())
def test_a_deactivated_partner_user_hears_nothing_the_others_do(acme, enrolled, off):
    off(acme, acme.partner_user)
    rows = _submit_all(acme, enrolled)
    with scope(tenant=acme.tenant):
        action_request_changes(
            tenant=acme.tenant, actor=acme.cam, progress_id=rows[0].pk, comment="Again, please"
        )
    assert _notified(acme, "action_changes_requested") == ["padmin@one.acme.test"]


def test_a_user_deactivated_on_the_platform_is_not_reminded(acme, enrolled):
    _user_off(acme.partner_user)
    day3 = (T0 + timedelta(days=3)).replace(hour=10, minute=15)
    with scope(tenant=acme.tenant):
        assert [r.user.pk for r in nudge_recipients(tenant=acme.tenant, today=day3.date())] == [
            acme.partner_admin.pk
        ]
        assert nudge_sweep(tenant=acme.tenant, now=day3) == 1
    assert _notified(acme, "onboarding_reminder") == ["padmin@one.acme.test"]


def test_a_reminder_chosen_before_the_deactivation_is_not_sent(acme, enrolled):
    day3 = (T0 + timedelta(days=3)).replace(hour=10, minute=15)
    with scope(tenant=acme.tenant):
        chosen = nudge_recipients(tenant=acme.tenant, today=day3.date())
        assert acme.partner_user.pk in [r.user.pk for r in chosen]
        _user_off(acme.partner_user)
        sent = nudge_send(
            tenant=acme.tenant,
            user=acme.partner_user,
            account_id=acme.partner.pk,
            today=day3.date(),
            now=day3,
        )
    assert sent == 0
    assert _notified(acme, "onboarding_reminder") == []
