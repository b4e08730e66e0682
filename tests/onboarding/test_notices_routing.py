"""Who hears about a partner's approvals: its active CAM, else every active program admin.

Never nobody, never an inactive person (DOMAIN §8): a partner without a CAM, or whose CAM was
deactivated or is no longer staff, has its approvals sent to the program admins; a
deactivated admin hears nothing; a deactivated member gets no approval digest.
"""

from dataclasses import dataclass

import pytest
from django_scopes import scope, scopes_disabled

from apps.home.services import staff_active_set, staff_member_add
from apps.notifications.models import Notification
from apps.onboarding.models import ActionProgress, EnrollmentStatus
from apps.onboarding.services import action_complete, enrollment_advance, partner_enroll
from apps.onboarding.tasks import approval_digest_send
from apps.partners.models import PartnerAccount
from apps.partners.selectors import (
    partner_accounts_responsible_to,
    responsible_staff,
    responsible_staff_by_account,
)
from apps.tenancy.models import Membership, Role
from tests.onboarding.conftest import PI, build_pipeline

pytestmark = pytest.mark.django_db


@dataclass
class Staff:
    admin2: object  # a second active program admin
    gone_admin: object  # a deactivated program admin


@pytest.fixture
def staff(acme):
    with scope(tenant=acme.tenant):
        admin2 = staff_member_add(
            tenant=acme.tenant,
            actor=acme.admin,
            email="admin2@acme.test",
            role=Role.PROGRAM_ADMIN,
            password="pw-admin2-123456",
        )
        gone = staff_member_add(
            tenant=acme.tenant,
            actor=acme.admin,
            email="gone@acme.test",
            role=Role.PROGRAM_ADMIN,
            password="pw-gone-123456",
        )
        staff_active_set(tenant=acme.tenant, actor=acme.admin, membership_id=gone.pk, active=False)
    return Staff(admin2=admin2.user, gone_admin=gone.user)


def _cam_none(program):
    with scope(tenant=program.tenant):
        PartnerAccount.objects.filter(pk=program.partner.pk).update(cam=None)


def _cam_deactivated(program):
    with scope(tenant=program.tenant):
        membership = Membership.objects.get(tenant=program.tenant, user=program.cam)
        staff_active_set(
            tenant=program.tenant, actor=program.admin, membership_id=membership.pk, active=False
        )


def _cam_no_longer_staff(program):
    with scope(tenant=program.tenant):
        Membership.objects.filter(tenant=program.tenant, user=program.cam).update(
            role=Role.PARTNER_USER
        )


UNASSIGN = {
    "no CAM": _cam_none,
    "CAM deactivated": _cam_deactivated,
    "CAM no longer staff": _cam_no_longer_staff,
}


def _recipients(program, kind):
    with scope(tenant=program.tenant):
        return set(
            Notification.objects.filter(tenant=program.tenant, kind=kind).values_list(
                "recipient__email", flat=True
            )
        )


def _submit(program, journey, title="Legal details"):
    with scope(tenant=program.tenant):
        action_complete(
            tenant=program.tenant,
            actor=program.partner_user,
            progress_id=journey.progress(title).pk,
            submission={"legal_name": "X"},
        )


# --- The selector --------------------------------------------------------------------------


def test_an_active_cam_is_the_one_responsible(acme, staff):
    with scope(tenant=acme.tenant):
        assert responsible_staff(tenant=acme.tenant, account=acme.partner) == [acme.cam]


@pytest.mark.parametrize("unassign", UNASSIGN.values(), ids=UNASSIGN.keys())
def test_without_an_active_cam_every_active_admin_is(acme, staff, unassign):
    unassign(acme)
    with scope(tenant=acme.tenant):
        account = PartnerAccount.objects.get(pk=acme.partner.pk)
        who = responsible_staff(tenant=acme.tenant, account=account)
    assert sorted(u.email for u in who) == ["admin2@acme.test", "admin@acme.test"]


def test_the_set_based_form_costs_two_queries_however_many_accounts(
    acme, globex, staff, django_assert_max_num_queries
):
    from apps.partners.services import partner_account_create

    with scope(tenant=acme.tenant):
        reseller = acme.partner.partner_type
        many = [
            partner_account_create(
                tenant=acme.tenant,
                actor=acme.admin,
                name=f"Bulk {i}",
                partner_type=reseller,
                domains=[f"bulk{i}.acme.test"],
                cam=acme.cam if i % 2 else None,
            ).pk
            for i in range(30)
        ]
    _cam_deactivated(acme)  # acme.partner and other_partner lose their CAM too
    ids = [*many, acme.partner.pk, globex.partner.pk]  # another program's id is left out
    with scope(tenant=acme.tenant), django_assert_max_num_queries(2):
        by_account = responsible_staff_by_account(tenant=acme.tenant, account_ids=ids)
    assert set(by_account) == {*many, acme.partner.pk}
    for users in by_account.values():
        assert sorted(u.email for u in users) == ["admin2@acme.test", "admin@acme.test"]
    # Everyone assigned to an active CAM: one query.
    with scope(tenant=acme.tenant):
        Membership.objects.filter(user=acme.cam).update(is_active=True)
    with scope(tenant=acme.tenant), django_assert_max_num_queries(1):
        by_account = responsible_staff_by_account(
            tenant=acme.tenant, account_ids=[acme.partner.pk, acme.other_partner.pk]
        )
    assert by_account == {acme.partner.pk: [acme.cam], acme.other_partner.pk: [acme.cam]}


def test_the_accounts_responsible_to_each_member(acme, staff):
    _cam_none(acme)  # acme.partner unassigned; other_partner stays the CAM's
    with scope(tenant=acme.tenant):

        def ids(user):
            return set(
                partner_accounts_responsible_to(tenant=acme.tenant, user=user).values_list(
                    "pk", flat=True
                )
            )

        assert ids(acme.cam) == {acme.other_partner.pk}
        assert ids(acme.admin) == {acme.partner.pk}
        assert ids(staff.admin2) == {acme.partner.pk}
        assert ids(staff.gone_admin) == set()
        assert ids(acme.partner_admin) == set()


# --- Waiting for approval ------------------------------------------------------------------


def test_cam_active_only_the_cam_hears_of_a_waiting_action(
    acme, staff, journey, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _submit(acme, journey)
    assert _recipients(acme, "action_waiting") == {"cam@acme.test"}
    assert _digest_scheduled(acme, acme.cam)
    assert not _digest_scheduled(acme, acme.admin)


def _digest_scheduled(program, user) -> bool:
    from django_scopes import scopes_disabled

    from apps.outbox.models import OutboxMessage

    with scopes_disabled():
        return OutboxMessage.objects.filter(
            tenant=program.tenant, kind="onboarding.approval_digest", payload__user_id=user.pk
        ).exists()


@pytest.mark.parametrize("unassign", UNASSIGN.values(), ids=UNASSIGN.keys())
def test_without_an_active_cam_every_active_admin_hears_of_a_waiting_action(
    acme, staff, journey, unassign, django_capture_on_commit_callbacks
):
    unassign(acme)
    with django_capture_on_commit_callbacks(execute=True):
        _submit(acme, journey)
    assert _recipients(acme, "action_waiting") == {"admin@acme.test", "admin2@acme.test"}
    # Each of them gets the digest scheduled; the CAM and the deactivated admin do not.
    for user, scheduled in [
        (acme.admin, True),
        (staff.admin2, True),
        (acme.cam, False),
        (staff.gone_admin, False),
    ]:
        assert _digest_scheduled(acme, user) is scheduled, user.email


# --- Onboarding completed ------------------------------------------------------------------


def _complete_onboarding(program):
    """A one-action pipeline the partner finishes: onboarding completes."""
    build_pipeline(program, stages_spec=[("Only stage", [("Legal details", PI, False)])])
    with scope(tenant=program.tenant):
        enrollment = partner_enroll(
            tenant=program.tenant, actor=program.admin, account=program.partner
        )
        progress = ActionProgress.objects.get(enrollment=enrollment)
        action_complete(
            tenant=program.tenant,
            actor=program.partner_user,
            progress_id=progress.pk,
            submission={"legal_name": "X"},
        )
        enrollment_advance(tenant=program.tenant, enrollment_id=enrollment.pk)
        enrollment.refresh_from_db()
    return enrollment


@pytest.mark.parametrize(
    ("unassign", "expected"),
    [
        (None, {"cam@acme.test"}),
        *[(fn, {"admin@acme.test", "admin2@acme.test"}) for fn in UNASSIGN.values()],
    ],
    ids=["CAM active", *UNASSIGN.keys()],
)
def test_onboarding_completed_goes_to_the_responsible_staff(acme, staff, unassign, expected):
    if unassign is not None:
        unassign(acme)
    assert _complete_onboarding(acme).status == EnrollmentStatus.COMPLETED
    assert _recipients(acme, "onboarding_completed_cam") == expected


# --- The approval digest -------------------------------------------------------------------


def test_the_digest_of_an_unassigned_partner_goes_to_the_admins_not_the_cam(acme, staff, journey):
    _cam_deactivated(acme)
    _submit(acme, journey)
    assert approval_digest_send(acme.tenant.pk, acme.cam.pk) == 0
    assert approval_digest_send(acme.tenant.pk, staff.gone_admin.pk) == 0
    assert approval_digest_send(acme.tenant.pk, acme.admin.pk) == 1
    assert approval_digest_send(acme.tenant.pk, staff.admin2.pk) == 1
    assert _recipients(acme, "approvals_digest") == {"admin@acme.test", "admin2@acme.test"}


def test_a_cam_deactivated_after_the_digest_was_scheduled_gets_none(acme, staff, journey):
    _submit(acme, journey)  # waiting for the CAM, digest scheduled for them
    _cam_deactivated(acme)
    assert approval_digest_send(acme.tenant.pk, acme.cam.pk) == 0
    assert _recipients(acme, "approvals_digest") == set()
    # The admins' digest holds it instead.
    assert approval_digest_send(acme.tenant.pk, acme.admin.pk) == 1


def test_an_admins_digest_holds_only_unassigned_partners_and_their_own(acme, staff, journey):
    _submit(acme, journey)  # acme.partner's CAM is active: not the admins'
    assert approval_digest_send(acme.tenant.pk, acme.admin.pk) == 0
    assert approval_digest_send(acme.tenant.pk, acme.cam.pk) == 1


def test_the_other_program_is_never_involved(acme, globex, staff, journey):
    _cam_none(acme)
    with scopes_disabled():
        before = Notification.objects.filter(tenant=globex.tenant).count()
    _submit(acme, journey)
    with scopes_disabled():
        assert Notification.objects.filter(tenant=globex.tenant).count() == before
    assert approval_digest_send(acme.tenant.pk, globex.admin.pk) == 0
