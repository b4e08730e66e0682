"""apps/applications/views_partner_users.py: staff manage a partner account's users from the
console's partner page (/console/partners/<id>/users/…)."""

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scope

from apps.applications import verbs
from apps.audit.models import AuditEvent
from apps.home.services import staff_member_add
from apps.partners.models import PartnerUser
from apps.partners.services import partner_user_add
from apps.tenancy.models import Membership, Role


def _page(program, account=None) -> str:
    return f"/console/partners/{(account or program.partner).pk}/"


def _users(program, account=None) -> str:
    return f"{_page(program, account)}users/"


def _member_id(program, user) -> int:
    with scope(tenant=program.tenant):
        return PartnerUser.objects.get(tenant=program.tenant, membership__user=user).pk


def _membership(program, user) -> Membership:
    with scope(tenant=program.tenant):
        return Membership.objects.get(tenant=program.tenant, user=user)


def _membership_of(program, email) -> Membership:
    with scope(tenant=program.tenant):
        return Membership.objects.select_related("partner_user").get(
            tenant=program.tenant, user__email=email
        )


def _events(program, verb=None) -> list[AuditEvent]:
    with scope(tenant=program.tenant):
        rows = AuditEvent.objects.filter(tenant=program.tenant, partner_id=program.partner.pk)
        if verb:
            rows = rows.filter(verb=verb)
        return list(rows.order_by("id"))


def _another_cam(program):
    """A channel manager who is not the account's assigned CAM."""
    with scope(tenant=program.tenant):
        return staff_member_add(
            tenant=program.tenant,
            actor=program.admin,
            email=f"cam2@{program.tenant.slug}.test",
            role=Role.CHANNEL_MANAGER,
            password="pw-cam2-123456",
        ).user


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- The Users card ---------------------------------------------------------------------------


def test_the_partner_page_lists_the_users_with_the_staffs_controls(acme, client_for):
    html = client_for(acme, acme.cam).get(_page(acme)).content.decode()
    assert acme.partner_admin.email in html and acme.partner_user.email in html
    assert acme.other_partner_user.email not in html  # the other account's admin
    member = _member_id(acme, acme.partner_user)
    assert f'action="{_users(acme)}{member}/role/"' in html
    assert f'action="{_users(acme)}{member}/deactivate/"' in html
    assert f'action="{_users(acme)}invite/"' in html
    assert "Make partner admin" in html and "Send invitation" in html
    # The only partner admin is marked as such.
    assert "only partner admin" in html


def test_the_invite_page_shows_the_form(acme, client_for):
    response = client_for(acme, acme.admin).get(f"{_users(acme)}invite/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'for="id_email"' in html and "@one.acme.test" in html and "Send invitation" in html


# --- Invite ---------------------------------------------------------------------------------


def test_staff_invite_inside_the_domains_creates_the_user_emails_after_commit_and_one_event(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(acme, acme.cam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{_users(acme)}invite/",
            {
                "email": "Nia@One.Acme.test",
                "role": "partner_admin",
                "first_name": "Nia",
                "last_name": "New",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == f"{_page(acme)}#users"
    membership = _membership_of(acme, "nia@one.acme.test")
    assert membership.role == Role.PARTNER_ADMIN and membership.is_active
    assert membership.partner_user.account_id == acme.partner.pk
    (mail,) = [m for m in mailoutbox if m.to == ["nia@one.acme.test"]]
    assert "/reset/key/" in mail.body
    assert "The Acme Program team added you" in mail.body
    # One audit event for the invitation (not a second "user added" row).
    events = [e for e in _events(acme) if e.data.get("user") == "nia@one.acme.test"]
    assert [e.verb for e in events] == [verbs.TEAM_MEMBER_INVITED]
    assert events[0].actor == acme.cam
    html = client.get(_page(acme)).content.decode()
    assert "Invitation pending" in html and "Resend invitation" in html
    assert "Invited nia@one.acme.test to <strong>Acme Partner One</strong> as partner admin" in html


def test_staff_may_invite_an_address_outside_the_accounts_domains(acme, client_for, eager):
    client = client_for(acme, acme.admin)
    response = client.post(
        f"{_users(acme)}invite/", {"email": "freelancer@gmail.com", "role": "partner_user"}
    )
    assert response.status_code == 302
    assert _membership_of(acme, "freelancer@gmail.com").partner_user.account_id == acme.partner.pk
    (event,) = _events(acme, verbs.TEAM_MEMBER_INVITED)
    assert event.data["outside_domains"] is True
    assert "an address outside the account’s domains" in client.get(_page(acme)).content.decode()


def test_partner_admin_is_still_refused_outside_the_domains(acme, client_for):
    response = client_for(acme, acme.partner_admin).post(
        "/portal/team/invite/", {"email": "freelancer@gmail.com", "role": "partner_user"}
    )
    assert response.status_code == 422 and "@one.acme.test only" in response.content.decode()
    assert not get_user_model().objects.filter(email="freelancer@gmail.com").exists()


def test_a_user_of_another_program_gets_a_membership_not_a_second_account(
    acme, globex, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    with scope(tenant=globex.tenant):
        partner_user_add(
            tenant=globex.tenant,
            actor=globex.cam,
            account=globex.partner,
            email="nia@one.acme.test",
            password="pw-nia-123456",
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(acme, acme.cam).post(
            f"{_users(acme)}invite/", {"email": "nia@one.acme.test", "role": "partner_user"}
        )
    assert response.status_code == 302
    users = get_user_model().objects.filter(email="nia@one.acme.test")
    assert users.count() == 1 and users.get().check_password("pw-nia-123456")
    assert _membership_of(acme, "nia@one.acme.test").partner_user.account_id == acme.partner.pk
    (mail,) = [m for m in mailoutbox if m.to == ["nia@one.acme.test"]]
    assert "/reset/key/" not in mail.body  # they sign in with the password they have


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-address", "Enter a valid email address."),
        ("padmin@two.acme.test", "is a user of another partner account, Acme Partner Two"),
        ("cam@acme.test", "is on the program’s staff"),
        ("puser@one.acme.test", "is already a user of Acme Partner One"),
    ],
)
def test_bad_invites_are_422_on_the_invite_page_and_change_nothing(
    acme, client_for, email, message
):
    users = get_user_model().objects.count()
    events = len(_events(acme))
    response = client_for(acme, acme.admin).post(
        f"{_users(acme)}invite/", {"email": email, "role": "partner_user"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and 'class="field__error"' in html
    assert get_user_model().objects.count() == users
    assert len(_events(acme)) == events
    assert _membership(acme, acme.other_partner_user).partner_user.account_id == (
        acme.other_partner.pk
    )


def test_an_invalid_role_is_422(acme, client_for):
    response = client_for(acme, acme.admin).post(
        f"{_users(acme)}invite/", {"email": "n@one.acme.test", "role": "program_admin"}
    )
    assert response.status_code == 422
    assert not get_user_model().objects.filter(email="n@one.acme.test").exists()


def test_a_double_submitted_invite_makes_one_membership(acme, client_for, eager):
    client = client_for(acme, acme.cam)
    data = {"email": "nia@one.acme.test", "role": "partner_user"}
    assert client.post(f"{_users(acme)}invite/", data).status_code == 302
    response = client.post(f"{_users(acme)}invite/", data)
    assert response.status_code == 422 and "already a user" in response.content.decode()
    assert get_user_model().objects.filter(email="nia@one.acme.test").count() == 1
    with scope(tenant=acme.tenant):
        assert Membership.objects.filter(user__email="nia@one.acme.test").count() == 1
    assert len(_events(acme, verbs.TEAM_MEMBER_INVITED)) == 1


# --- Resend, role, deactivate, reactivate -----------------------------------------------------


def test_resend_a_pending_invitation(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(acme, acme.cam)
    client.post(f"{_users(acme)}invite/", {"email": "nia@one.acme.test", "role": "partner_user"})
    with scope(tenant=acme.tenant):
        member = PartnerUser.objects.get(membership__user__email="nia@one.acme.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{_users(acme)}{member.pk}/resend/")
    assert response.status_code == 302
    (mail,) = mailoutbox
    assert mail.to == ["nia@one.acme.test"] and "/reset/key/" in mail.body
    assert "A new invitation is on its way to nia@one.acme.test." in _messages(response)
    assert len(_events(acme, verbs.TEAM_INVITATION_RESENT)) == 1


def test_resend_for_someone_with_a_password_is_refused(acme, client_for, mailoutbox):
    member = _member_id(acme, acme.partner_user)
    response = client_for(acme, acme.cam).post(f"{_users(acme)}{member}/resend/")
    assert response.status_code == 422
    assert "has already set a password" in response.content.decode()
    assert mailoutbox == [] and _events(acme, verbs.TEAM_INVITATION_RESENT) == []


def test_staff_change_a_role_and_the_timeline_says_before_and_after(acme, client_for):
    client = client_for(acme, acme.admin)
    member = _member_id(acme, acme.partner_user)
    response = client.post(f"{_users(acme)}{member}/role/", {"role": "partner_admin"})
    assert response.status_code == 302 and response["Location"] == f"{_page(acme)}#users"
    assert _membership(acme, acme.partner_user).role == Role.PARTNER_ADMIN
    html = client.get(_page(acme)).content.decode()
    assert (
        "Changed puser@one.acme.test’s role in <strong>Acme Partner One</strong>: "
        "partner user → partner admin"
    ) in html


def test_an_invalid_role_change_is_422_and_changes_nothing(acme, client_for):
    member = _member_id(acme, acme.partner_user)
    response = client_for(acme, acme.admin).post(
        f"{_users(acme)}{member}/role/", {"role": "program_admin"}
    )
    assert response.status_code == 422
    assert "Choose partner admin or partner user." in response.content.decode()
    assert _membership(acme, acme.partner_user).role == Role.PARTNER_USER


def test_deactivate_then_reactivate(acme, client_for):
    client = client_for(acme, acme.cam)
    member = _member_id(acme, acme.partner_user)
    response = client.post(f"{_users(acme)}{member}/deactivate/")
    assert response.status_code == 302
    assert _membership(acme, acme.partner_user).is_active is False
    assert client_for(acme, acme.partner_user).get("/portal/").status_code == 404
    html = client.get(_page(acme)).content.decode()
    assert "Deactivated" in html and f'action="{_users(acme)}{member}/reactivate/"' in html
    assert "Removed puser@one.acme.test from <strong>Acme Partner One</strong>" in html
    # Changing the role of a deactivated user is refused.
    response = client.post(f"{_users(acme)}{member}/role/", {"role": "partner_admin"})
    assert response.status_code == 422 and "Reactivate" in response.content.decode()
    response = client.post(f"{_users(acme)}{member}/reactivate/")
    assert response.status_code == 302
    membership = _membership(acme, acme.partner_user)
    assert (membership.is_active, membership.role) == (True, Role.PARTNER_USER)
    assert client_for(acme, acme.partner_user).get("/portal/").status_code == 200
    assert "Reactivated puser@one.acme.test in" in client.get(_page(acme)).content.decode()


def test_staff_may_demote_the_last_partner_admin_with_a_warning(acme, client_for):
    client = client_for(acme, acme.admin)
    member = _member_id(acme, acme.partner_admin)
    response = client.post(f"{_users(acme)}{member}/role/", {"role": "partner_user"})
    assert response.status_code == 302
    assert _membership(acme, acme.partner_admin).role == Role.PARTNER_USER
    assert any("has no active partner admin now" in m for m in _messages(response))
    (event,) = _events(acme, verbs.TEAM_MEMBER_ROLE_CHANGED)
    assert event.data["no_admin_left"] is True
    assert "the account has no active partner admin now" in client.get(_page(acme)).content.decode()


def test_staff_may_deactivate_the_last_partner_admin(acme, client_for):
    member = _member_id(acme, acme.partner_admin)
    response = client_for(acme, acme.cam).post(f"{_users(acme)}{member}/deactivate/")
    assert response.status_code == 302
    assert _membership(acme, acme.partner_admin).is_active is False
    assert any("has no active partner admin now" in m for m in _messages(response))


def test_any_cam_manages_the_users_not_only_the_assigned_one(acme, client_for):
    """As for editing the account (console_partner_view): every CAM of the program."""
    client = client_for(acme, _another_cam(acme))
    member = _member_id(acme, acme.partner_user)
    assert client.post(f"{_users(acme)}{member}/role/", {"role": "partner_admin"}).status_code == (
        302
    )
    assert _membership(acme, acme.partner_user).role == Role.PARTNER_ADMIN


# --- Refusals: forged ids, roles, other tenants -----------------------------------------------


def test_a_member_id_of_another_account_is_404_and_changes_nothing(acme, client_for):
    client = client_for(acme, acme.admin)
    theirs = _member_id(acme, acme.other_partner_user)
    events = len(_events(acme))
    for action, data in (
        ("role/", {"role": "partner_user"}),
        ("deactivate/", {}),
        ("reactivate/", {}),
        ("resend/", {}),
    ):
        assert client.post(f"{_users(acme)}{theirs}/{action}", data).status_code == 404
        assert client.post(f"{_users(acme)}999999/{action}", data).status_code == 404
    membership = _membership(acme, acme.other_partner_user)
    assert (membership.role, membership.is_active) == (Role.PARTNER_ADMIN, True)
    assert len(_events(acme)) == events


def test_another_tenants_member_is_404(acme, globex, client_for):
    theirs = _member_id(globex, globex.partner_user)
    client = client_for(acme, acme.admin)
    assert client.post(f"{_users(acme)}{theirs}/deactivate/").status_code == 404
    # Globex's admin on Globex's host, aiming at Acme's account and user.
    mine = _member_id(acme, acme.partner_user)
    response = client_for(globex, globex.admin).post(f"{_users(acme)}{mine}/deactivate/")
    assert response.status_code == 404
    # and on Acme's host, where they are a stranger.
    response = client_for(acme, globex.admin).post(f"{_users(acme)}{mine}/deactivate/")
    assert response.status_code == 404
    assert _membership(acme, acme.partner_user).is_active is True
    assert _membership(globex, globex.partner_user).is_active is True


def test_a_partner_admin_cannot_manage_another_accounts_users(acme, client_for):
    """Through the console's URLs (not theirs: 404) or the portal's (their own account only)."""
    client = client_for(acme, acme.partner_admin)
    theirs = _member_id(acme, acme.other_partner_user)
    other_users = _users(acme, acme.other_partner)
    assert client.post(f"{other_users}{theirs}/deactivate/").status_code == 404
    assert client.post(f"{other_users}{theirs}/role/", {"role": "partner_user"}).status_code == 404
    response = client.post(
        f"{other_users}invite/", {"email": "x@two.acme.test", "role": "partner_admin"}
    )
    assert response.status_code == 404
    assert client.get(_page(acme, acme.other_partner)).status_code == 404
    assert client.post(f"/portal/team/{theirs}/remove/").status_code == 404
    assert client.post(f"/portal/team/{theirs}/role/", {"role": "partner_user"}).status_code == 404
    membership = _membership(acme, acme.other_partner_user)
    assert (membership.role, membership.is_active) == (Role.PARTNER_ADMIN, True)
    assert not get_user_model().objects.filter(email="x@two.acme.test").exists()


def test_partner_users_cannot_open_the_console_routes(acme, client_for):
    member = _member_id(acme, acme.partner_user)
    for user in (acme.partner_admin, acme.partner_user):
        client = client_for(acme, user)
        assert client.get(f"{_users(acme)}invite/").status_code == 404
        assert client.post(f"{_users(acme)}{member}/deactivate/").status_code == 404
    assert _membership(acme, acme.partner_user).is_active is True


def test_member_actions_accept_post_only(acme, client_for):
    member = _member_id(acme, acme.partner_user)
    client = client_for(acme, acme.admin)
    for action in ("role", "deactivate", "reactivate", "resend"):
        assert client.get(f"{_users(acme)}{member}/{action}/").status_code == 405


# --- Query count ------------------------------------------------------------------------------


def test_the_partner_page_query_count_holds_with_30_users(
    acme, client_for, django_assert_max_num_queries
):
    with scope(tenant=acme.tenant):
        for i in range(30):
            partner_user_add(
                tenant=acme.tenant,
                actor=acme.cam,
                account=acme.partner,
                email=f"m{i}@one.acme.test",
                role=Role.PARTNER_ADMIN if i % 3 == 0 else Role.PARTNER_USER,
            )
    client = client_for(acme, acme.cam)
    client.get("/console/")
    with django_assert_max_num_queries(12):
        response = client.get(_page(acme))
    assert response.status_code == 200
    assert response.content.decode().count("/deactivate/") == 32
