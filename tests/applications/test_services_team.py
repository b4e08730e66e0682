"""apps/applications/services/team.py: a partner admin's team (invite, role, remove)."""

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scope

from apps.applications import verbs
from apps.applications.services.team import (
    TeamError,
    TeamMemberNotFound,
    team_member_invitation_resend,
    team_member_invite,
    team_member_reactivate,
    team_member_remove,
    team_member_role_change,
)
from apps.audit.models import AuditEvent
from apps.partners.models import PartnerUser
from apps.partners.services import partner_user_add
from apps.tenancy.models import Membership, Role
from tests.conftest import in_scope, race


def _member(program, user) -> PartnerUser:
    with scope(tenant=program.tenant):
        return PartnerUser.objects.select_related("membership").get(
            tenant=program.tenant, membership__user=user
        )


def _membership(program, user) -> Membership:
    with scope(tenant=program.tenant):
        return Membership.objects.get(tenant=program.tenant, user=user)


def _invite(program, email, role=Role.PARTNER_USER, actor=None):
    with scope(tenant=program.tenant):
        return team_member_invite(
            tenant=program.tenant,
            actor=actor or program.partner_admin,
            account_id=program.partner.pk,
            email=email,
            role=role,
            first_name="Nia",
            last_name="New",
        )


def _second_admin(program):
    with scope(tenant=program.tenant):
        return partner_user_add(
            tenant=program.tenant,
            actor=program.cam,
            account=program.partner,
            email=f"second@one.{program.tenant.slug}.test",
            role=Role.PARTNER_ADMIN,
            password="pw-second-123456",
        ).membership.user


def test_invite_creates_the_user_link_and_audit_and_emails_after_commit(
    acme, eager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        member = _invite(acme, "Nia@One.Acme.test", role=Role.PARTNER_ADMIN)
    assert mailoutbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    (mail,) = mailoutbox
    assert mail.to == ["nia@one.acme.test"] and "/reset/key/" in mail.body
    assert member.account == acme.partner
    assert member.membership.role == Role.PARTNER_ADMIN
    with scope(tenant=acme.tenant):
        event = AuditEvent.objects.get(verb=verbs.TEAM_MEMBER_INVITED)
    assert event.data == {"user": "nia@one.acme.test", "from": None, "to": "partner_admin"}
    assert event.actor == acme.partner_admin and event.partner_id == acme.partner.pk


def test_invite_outside_the_accounts_domains_is_refused(acme, unscoped):
    users = get_user_model().objects.count()
    with pytest.raises(TeamError, match="@one.acme.test only"):
        _invite(acme, "someone@gmail.com")
    with pytest.raises(TeamError):
        _invite(acme, "someone@two.acme.test")  # the other partner's domain
    assert get_user_model().objects.count() == users


def test_inviting_twice_creates_one_user(acme, unscoped):
    _invite(acme, "nia@one.acme.test")
    with pytest.raises(TeamError, match="already on your team"):
        _invite(acme, "nia@one.acme.test")
    assert get_user_model().objects.filter(email="nia@one.acme.test").count() == 1
    assert PartnerUser.objects.filter(membership__user__email="nia@one.acme.test").count() == 1


def test_a_user_of_another_program_gets_a_membership_not_a_second_account(acme, globex, unscoped):
    with scope(tenant=globex.tenant):
        partner_user_add(
            tenant=globex.tenant,
            actor=globex.cam,
            account=globex.partner,
            email="nia@one.acme.test",
            password="pw-nia-123456",
        )
    member = _invite(acme, "nia@one.acme.test")
    assert get_user_model().objects.filter(email="nia@one.acme.test").count() == 1
    assert member.membership.tenant == acme.tenant
    assert member.membership.user.check_password("pw-nia-123456")


def test_partner_user_cannot_invite(acme, unscoped):
    with pytest.raises(TeamError):
        _invite(acme, "nia@one.acme.test", actor=acme.partner_user)
    assert not get_user_model().objects.filter(email="nia@one.acme.test").exists()


def test_role_change_is_audited_from_to(acme, unscoped):
    member = _member(acme, acme.partner_user)
    with scope(tenant=acme.tenant):
        team_member_role_change(
            tenant=acme.tenant,
            actor=acme.partner_admin,
            account_id=acme.partner.pk,
            member_id=member.pk,
            role=Role.PARTNER_ADMIN,
        )
    assert _membership(acme, acme.partner_user).role == Role.PARTNER_ADMIN
    event = AuditEvent.objects.get(verb=verbs.TEAM_MEMBER_ROLE_CHANGED)
    assert event.data == {
        "user": acme.partner_user.email,
        "from": "partner_user",
        "to": "partner_admin",
    }


def test_the_last_admin_cannot_demote_or_remove_themselves(acme, unscoped):
    me = _member(acme, acme.partner_admin)
    with scope(tenant=acme.tenant):
        with pytest.raises(TeamError, match="at least one partner admin"):
            team_member_role_change(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                account_id=acme.partner.pk,
                member_id=me.pk,
                role=Role.PARTNER_USER,
            )
        with pytest.raises(TeamError, match="at least one partner admin"):
            team_member_remove(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                account_id=acme.partner.pk,
                member_id=me.pk,
            )
    membership = _membership(acme, acme.partner_admin)
    assert (membership.role, membership.is_active) == (Role.PARTNER_ADMIN, True)
    assert not AuditEvent.objects.filter(verb__startswith="team.").exists()


def test_remove_deactivates_and_can_be_invited_again(acme, unscoped):
    member = _member(acme, acme.partner_user)
    with scope(tenant=acme.tenant):
        team_member_remove(
            tenant=acme.tenant,
            actor=acme.partner_admin,
            account_id=acme.partner.pk,
            member_id=member.pk,
        )
    assert _membership(acme, acme.partner_user).is_active is False
    event = AuditEvent.objects.get(verb=verbs.TEAM_MEMBER_REMOVED)
    assert (event.data["from"], event.data["to"]) == ("active", "removed")
    _invite(acme, acme.partner_user.email)
    assert _membership(acme, acme.partner_user).is_active is True


def test_another_accounts_user_is_not_found(acme, unscoped):
    theirs = _member(acme, acme.other_partner_user)
    with scope(tenant=acme.tenant):
        with pytest.raises(TeamMemberNotFound):
            team_member_remove(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                account_id=acme.partner.pk,
                member_id=theirs.pk,
            )
        # Naming the other account does not help: the actor is not its admin.
        with pytest.raises(TeamError):
            team_member_remove(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                account_id=acme.other_partner.pk,
                member_id=theirs.pk,
            )
    assert _membership(acme, acme.other_partner_user).is_active is True


@pytest.mark.django_db(transaction=True)
def test_two_admins_removing_each_other_leave_one_admin(acme, unscoped):
    second = _second_admin(acme)
    first_id, second_id = _member(acme, acme.partner_admin).pk, _member(acme, second).pk
    results = race(
        in_scope(
            acme.tenant,
            team_member_remove,
            actor=acme.partner_admin,
            account_id=acme.partner.pk,
            member_id=second_id,
        ),
        in_scope(
            acme.tenant,
            team_member_remove,
            actor=second,
            account_id=acme.partner.pk,
            member_id=first_id,
        ),
    )
    assert sum(isinstance(r, TeamError) for r in results) == 1, results
    active_admins = Membership.objects.filter(
        tenant=acme.tenant,
        role=Role.PARTNER_ADMIN,
        is_active=True,
        partner_user__account=acme.partner,
    ).count()
    assert active_admins == 1


# --- Staff actors (the console's partner page) and one audit event per change ---------------


def _staff_invite(program, email, *, actor=None, role=Role.PARTNER_USER):
    return _invite(program, email, role=role, actor=actor or program.cam)


def _call(program, service, user, *, actor, **kwargs):
    with scope(tenant=program.tenant):
        return service(
            tenant=program.tenant,
            actor=actor,
            account_id=program.partner.pk,
            member_id=_member(program, user).pk,
            **kwargs,
        )


def test_an_invitation_records_one_audit_event(acme, unscoped):
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    _invite(acme, "nia@one.acme.test")
    new = AuditEvent.objects.exclude(pk__in=before)
    assert [e.verb for e in new] == [verbs.TEAM_MEMBER_INVITED]


def test_staff_may_invite_outside_the_domains_and_the_event_says_so(acme, unscoped):
    member = _staff_invite(acme, "freelancer@gmail.com")
    assert member.account == acme.partner
    event = AuditEvent.objects.get(verb=verbs.TEAM_MEMBER_INVITED)
    assert event.data == {
        "user": "freelancer@gmail.com",
        "from": None,
        "to": "partner_user",
        "outside_domains": True,
    }
    assert event.actor == acme.cam and event.partner_id == acme.partner.pk


def test_staff_invite_of_someone_elses_user_or_staff_is_refused(acme, unscoped):
    with pytest.raises(TeamError, match="another partner account, Acme Partner Two"):
        _staff_invite(acme, acme.other_partner_user.email)
    with pytest.raises(TeamError, match="program’s staff"):
        _staff_invite(acme, acme.admin.email)
    with pytest.raises(TeamError, match="already a user of Acme Partner One"):
        _staff_invite(acme, acme.partner_user.email)
    # A partner admin is not told that the address is staff (or of which account).
    from apps.home.services import staff_member_add

    with scope(tenant=acme.tenant):
        staff_member_add(
            tenant=acme.tenant,
            actor=acme.admin,
            email="boss@one.acme.test",
            role=Role.CHANNEL_MANAGER,
        )
    with pytest.raises(TeamError, match="already has access to the program"):
        _invite(acme, "boss@one.acme.test")
    assert not AuditEvent.objects.filter(verb__startswith="team.").exists()


def test_staff_invite_of_a_user_of_another_program_makes_a_membership(acme, globex, unscoped):
    with scope(tenant=globex.tenant):
        partner_user_add(
            tenant=globex.tenant,
            actor=globex.cam,
            account=globex.partner,
            email="nia@gmail.com",
            password="pw-nia-123456",
        )
    member = _staff_invite(acme, "nia@gmail.com", actor=acme.admin)
    assert get_user_model().objects.filter(email="nia@gmail.com").count() == 1
    assert member.membership.tenant == acme.tenant and member.account == acme.partner


def test_any_cam_of_the_program_is_staff_for_this(acme, unscoped):
    with scope(tenant=acme.tenant):
        from apps.home.services import staff_member_add

        other_cam = staff_member_add(
            tenant=acme.tenant,
            actor=acme.admin,
            email="cam2@acme.test",
            role=Role.CHANNEL_MANAGER,
        ).user
    _staff_invite(acme, "nia@gmail.com", actor=other_cam)
    assert Membership.objects.filter(tenant=acme.tenant, user__email="nia@gmail.com").exists()


def test_staff_of_another_program_or_a_deactivated_cam_cannot(acme, globex, unscoped):
    with pytest.raises(TeamError):
        _staff_invite(acme, "nia@one.acme.test", actor=globex.admin)
    Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(is_active=False)
    with pytest.raises(TeamError):
        _staff_invite(acme, "nia@one.acme.test", actor=acme.cam)
    # A partner admin of the other account is no admin of this one.
    with pytest.raises(TeamError):
        _invite(acme, "nia@one.acme.test", actor=acme.other_partner_user)
    assert not get_user_model().objects.filter(email="nia@one.acme.test").exists()


def test_staff_may_demote_and_remove_the_last_partner_admin(acme, unscoped):
    _call(
        acme,
        team_member_role_change,
        acme.partner_admin,
        actor=acme.admin,
        role=Role.PARTNER_USER,
    )
    event = AuditEvent.objects.get(verb=verbs.TEAM_MEMBER_ROLE_CHANGED)
    assert event.data == {
        "user": acme.partner_admin.email,
        "from": "partner_admin",
        "to": "partner_user",
        "no_admin_left": True,
    }
    _call(acme, team_member_role_change, acme.partner_admin, actor=acme.admin, role="partner_admin")
    _call(acme, team_member_remove, acme.partner_admin, actor=acme.cam)
    assert _membership(acme, acme.partner_admin).is_active is False
    removed = AuditEvent.objects.get(verb=verbs.TEAM_MEMBER_REMOVED)
    assert removed.data["no_admin_left"] is True and removed.actor == acme.cam


def test_reactivate_restores_access_with_the_same_role(acme, unscoped):
    _call(acme, team_member_remove, acme.partner_user, actor=acme.cam)
    membership = _call(acme, team_member_reactivate, acme.partner_user, actor=acme.cam)
    assert (membership.is_active, membership.role) == (True, Role.PARTNER_USER)
    event = AuditEvent.objects.get(verb=verbs.TEAM_MEMBER_REACTIVATED)
    assert (event.data["from"], event.data["to"]) == ("removed", "active")
    # Reactivating an active user changes nothing (no second event).
    _call(acme, team_member_reactivate, acme.partner_user, actor=acme.cam)
    assert AuditEvent.objects.filter(verb=verbs.TEAM_MEMBER_REACTIVATED).count() == 1


def test_a_partner_admin_reactivates_only_addresses_in_the_domains(acme, unscoped):
    outsider = _staff_invite(acme, "freelancer@gmail.com").membership.user
    _call(acme, team_member_remove, outsider, actor=acme.cam)
    with pytest.raises(TeamError, match="@one.acme.test only"):
        _call(acme, team_member_reactivate, outsider, actor=acme.partner_admin)
    _call(acme, team_member_remove, acme.partner_user, actor=acme.partner_admin)
    _call(acme, team_member_reactivate, acme.partner_user, actor=acme.partner_admin)
    assert _membership(acme, acme.partner_user).is_active is True


def test_resend_only_while_the_invitation_is_pending(
    acme, unscoped, eager, mailoutbox, django_capture_on_commit_callbacks
):
    member = _staff_invite(acme, "nia@one.acme.test")
    invitee = member.membership.user
    with django_capture_on_commit_callbacks(execute=True):
        _call(acme, team_member_invitation_resend, invitee, actor=acme.cam)
    (mail,) = mailoutbox
    assert mail.to == ["nia@one.acme.test"] and "/reset/key/" in mail.body
    assert AuditEvent.objects.filter(verb=verbs.TEAM_INVITATION_RESENT).count() == 1
    with pytest.raises(TeamError, match="already set a password"):
        _call(acme, team_member_invitation_resend, acme.partner_user, actor=acme.cam)
    _call(acme, team_member_remove, invitee, actor=acme.cam)
    with pytest.raises(TeamError, match="Reactivate"):
        _call(acme, team_member_invitation_resend, invitee, actor=acme.cam)


def test_someone_who_became_staff_is_no_longer_a_team_member(acme, unscoped):
    Membership.objects.filter(tenant=acme.tenant, user=acme.partner_user).update(
        role=Role.CHANNEL_MANAGER
    )
    with pytest.raises(TeamMemberNotFound):
        _call(acme, team_member_remove, acme.partner_user, actor=acme.admin)


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_staff_invitation_makes_one_membership(acme, unscoped):
    call = in_scope(
        acme.tenant,
        team_member_invite,
        actor=acme.cam,
        account_id=acme.partner.pk,
        email="nia@gmail.com",
        role=Role.PARTNER_USER,
    )
    results = race(call, call)
    assert sum(isinstance(r, TeamError) for r in results) == 1, results
    assert Membership.objects.filter(tenant=acme.tenant, user__email="nia@gmail.com").count() == 1
    assert PartnerUser.objects.filter(membership__user__email="nia@gmail.com").count() == 1
    assert AuditEvent.objects.filter(verb=verbs.TEAM_MEMBER_INVITED).count() == 1
