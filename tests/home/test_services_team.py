import pytest
from django.contrib.auth import get_user_model
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.home.services import (
    StaffError,
    staff_active_set,
    staff_invitation_resend,
    staff_invite,
    staff_member_add,
    staff_role_change,
)
from apps.tenancy.models import Membership, Role
from tests.conftest import in_scope, race

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox_inline():
    """Emails go through the outbox (apps/outbox): here its nudged task runs inline, after
    the commit, as a worker would run it."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _membership(program, user):
    with scopes_disabled():
        return Membership.objects.get(tenant=program.tenant, user=user)


def _invite(program, email="new@acme.test", role=Role.CHANNEL_MANAGER, **kwargs):
    with scope(tenant=program.tenant):
        return staff_invite(
            tenant=program.tenant, actor=program.admin, email=email, role=role, **kwargs
        )


def test_invite_creates_a_membership_and_emails_after_commit(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        membership = _invite(acme, email=" New@Acme.test ", first_name="Nia")
    assert mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    (mail,) = mailoutbox
    assert mail.to == ["new@acme.test"]
    assert "/accounts/password/reset/key/" in mail.body
    assert "http://acme.localhost/" in mail.body
    assert membership.role == Role.CHANNEL_MANAGER and membership.is_active
    assert not membership.user.has_usable_password()
    with scopes_disabled():
        event = AuditEvent.objects.get(
            tenant=acme.tenant, verb="staff.added", data__user="new@acme.test"
        )
    assert event.data["from"] is None and event.data["to"] == Role.CHANNEL_MANAGER


def test_an_existing_user_of_another_program_gets_a_membership_not_an_account(
    acme, globex, mailoutbox, django_capture_on_commit_callbacks
):
    users = get_user_model().objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        membership = _invite(acme, email=globex.cam.email.upper())
    assert get_user_model().objects.count() == users
    assert membership.user == globex.cam
    (mail,) = mailoutbox
    assert "/accounts/password/reset/key/" not in mail.body
    assert "http://acme.localhost/accounts/login/" in mail.body


def test_inviting_twice_is_refused_and_sends_once(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(acme)
        with pytest.raises(StaffError):
            _invite(acme)
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("who", ["cam", "partner_user"])
def test_inviting_a_member_of_this_program_is_refused(acme, who):
    with pytest.raises(StaffError):
        _invite(acme, email=getattr(acme, who).email)


def test_resend_only_for_pending_invitations(acme, mailoutbox, django_capture_on_commit_callbacks):
    membership = _invite(acme)
    with django_capture_on_commit_callbacks(execute=True), scope(tenant=acme.tenant):
        staff_invitation_resend(tenant=acme.tenant, actor=acme.admin, membership_id=membership.pk)
        with pytest.raises(StaffError):
            staff_invitation_resend(
                tenant=acme.tenant,
                actor=acme.admin,
                membership_id=_membership(acme, acme.cam).pk,
            )
    assert len(mailoutbox) == 1


def test_role_change_and_deactivation_are_audited_from_to(acme):
    cam = _membership(acme, acme.cam)
    with scope(tenant=acme.tenant):
        staff_role_change(
            tenant=acme.tenant, actor=acme.admin, membership_id=cam.pk, role=Role.PROGRAM_ADMIN
        )
        staff_active_set(tenant=acme.tenant, actor=acme.admin, membership_id=cam.pk, active=False)
        staff_active_set(tenant=acme.tenant, actor=acme.admin, membership_id=cam.pk, active=True)
    with scopes_disabled():
        events = list(
            AuditEvent.objects.filter(tenant=acme.tenant, verb__startswith="staff.")
            .exclude(verb="staff.added")
            .order_by("pk")
            .values_list("verb", "data")
        )
    assert [(v, d["from"], d["to"]) for v, d in events[-3:]] == [
        ("staff.role_changed", Role.CHANNEL_MANAGER, Role.PROGRAM_ADMIN),
        ("staff.deactivated", True, False),
        ("staff.reactivated", False, True),
    ]


def test_the_last_active_program_admin_cannot_leave(acme, state):
    admin = _membership(acme, acme.admin)
    before = state()
    with scope(tenant=acme.tenant):
        with pytest.raises(StaffError, match="last active program admin"):
            staff_active_set(
                tenant=acme.tenant, actor=acme.admin, membership_id=admin.pk, active=False
            )
        with pytest.raises(StaffError, match="last active program admin"):
            staff_role_change(
                tenant=acme.tenant,
                actor=acme.admin,
                membership_id=admin.pk,
                role=Role.CHANNEL_MANAGER,
            )
    assert state() == before


def test_another_programs_membership_is_not_found(acme, globex, state):
    before = state()
    with scope(tenant=acme.tenant), pytest.raises(Membership.DoesNotExist):
        staff_active_set(
            tenant=acme.tenant,
            actor=acme.admin,
            membership_id=_membership(globex, globex.cam).pk,
            active=False,
        )
    assert state() == before


@pytest.mark.django_db(transaction=True)
def test_two_admins_deactivating_each_other_leave_one(acme):
    with scopes_disabled():
        second = staff_member_add(
            tenant=acme.tenant,
            actor=None,
            email="second@acme.test",
            role=Role.PROGRAM_ADMIN,
            password="pw-second-123456",
        )
    first = _membership(acme, acme.admin)
    results = race(
        in_scope(
            acme.tenant, staff_active_set, actor=acme.admin, membership_id=second.pk, active=False
        ),
        in_scope(
            acme.tenant, staff_active_set, actor=second.user, membership_id=first.pk, active=False
        ),
    )
    assert sum(isinstance(r, StaffError) for r in results) == 1, results
    with scopes_disabled():
        active = Membership.objects.filter(
            tenant=acme.tenant, role=Role.PROGRAM_ADMIN, is_active=True
        ).count()
    assert active == 1
