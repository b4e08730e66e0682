"""apps/applications/views_team.py: the portal's team page at /portal/team/."""

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.partners.models import PartnerUser
from apps.tenancy.models import Membership, Role
from tests.applications.conftest import links_in, path_of

TEAM = "/portal/team/"


def _member_id(program, user) -> int:
    with scope(tenant=program.tenant):
        return PartnerUser.objects.get(tenant=program.tenant, membership__user=user).pk


def _membership(program, user) -> Membership:
    with scope(tenant=program.tenant):
        return Membership.objects.get(tenant=program.tenant, user=user)


def test_partner_admin_sees_the_team_and_the_nav_link(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    html = client.get(TEAM).content.decode()
    assert acme.partner_user.email in html and acme.partner_admin.email in html
    assert acme.other_partner_user.email not in html  # another account's user
    assert "Send invitation" in html and "@one.acme.test" in html
    assert 'href="/portal/team/"' in client.get("/portal/").content.decode()


def test_partner_user_is_refused_and_has_no_nav_link(acme, client_for):
    client = client_for(acme, acme.partner_user)
    assert client.get(TEAM).status_code == 403
    response = client.post(f"{TEAM}invite/", {"email": "x@one.acme.test", "role": "partner_user"})
    assert response.status_code == 403
    assert 'href="/portal/team/"' not in client.get("/portal/").content.decode()
    assert not get_user_model().objects.filter(email="x@one.acme.test").exists()


def test_another_tenant_gets_404(acme, globex, client_for):
    client = client_for(acme, globex.partner_admin)
    assert client.get(TEAM).status_code == 404
    assert client.post(f"{TEAM}{_member_id(acme, acme.partner_user)}/remove/").status_code == 404
    assert _membership(acme, acme.partner_user).is_active is True


def test_invite_sets_password_and_signs_in_to_the_portal(
    acme, client_for, eager, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(acme, acme.partner_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{TEAM}invite/",
            {"email": "nia@one.acme.test", "role": "partner_user", "first_name": "Nia"},
        )
    assert response.status_code == 302 and response["Location"] == TEAM
    (mail,) = [m for m in mailoutbox if m.to == ["nia@one.acme.test"]]
    assert "Acme Partner One" in mail.subject
    html = client.get(TEAM).content.decode()
    assert "nia@one.acme.test" in html and "Invited" in html
    # The invitee sets a password from the single-use link and lands on the portal.
    link = path_of(next(u for u in links_in(mail) if "/reset/key/" in u))
    invitee = client_for(acme)
    response = invitee.get(link, follow=True)
    set_password_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = invitee.post(
        set_password_url,
        {"password1": "a-long-new-password-42", "password2": "a-long-new-password-42"},
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert invitee.get("/portal/").status_code == 200
    again = client_for(acme).get(link, follow=True)
    assert not any("set-password" in url for url, _ in again.redirect_chain)


def test_double_submitted_invite_creates_one_user(acme, client_for, eager, mailoutbox):
    client = client_for(acme, acme.partner_admin)
    data = {"email": "nia@one.acme.test", "role": "partner_user"}
    assert client.post(f"{TEAM}invite/", data).status_code == 302
    response = client.post(f"{TEAM}invite/", data)
    assert response.status_code == 422
    assert "already on your team" in response.content.decode()
    assert get_user_model().objects.filter(email="nia@one.acme.test").count() == 1


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("someone@gmail.com", "@one.acme.test only"),
        ("padmin@two.acme.test", "@one.acme.test only"),
        ("not-an-address", "Enter a valid email address."),
    ],
)
def test_bad_invites_are_422_and_change_nothing(acme, client_for, email, message):
    users = get_user_model().objects.count()
    response = client_for(acme, acme.partner_admin).post(
        f"{TEAM}invite/", {"email": email, "role": "partner_user"}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert get_user_model().objects.count() == users


def test_invalid_role_is_422(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    response = client.post(f"{TEAM}invite/", {"email": "n@one.acme.test", "role": "program_admin"})
    assert response.status_code == 422
    pk = _member_id(acme, acme.partner_user)
    assert client.post(f"{TEAM}{pk}/role/", {"role": "program_admin"}).status_code == 422
    assert _membership(acme, acme.partner_user).role == Role.PARTNER_USER


def test_change_role_and_remove(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    pk = _member_id(acme, acme.partner_user)
    assert client.post(f"{TEAM}{pk}/role/", {"role": "partner_admin"}).status_code == 302
    assert _membership(acme, acme.partner_user).role == Role.PARTNER_ADMIN
    assert client.post(f"{TEAM}{pk}/remove/").status_code == 302
    assert _membership(acme, acme.partner_user).is_active is False
    assert "Removed" in client.get(TEAM).content.decode()
    # The removed user can no longer open the portal.
    assert client_for(acme, acme.partner_user).get("/portal/").status_code == 404


def test_last_admin_cannot_demote_or_remove_themselves(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    pk = _member_id(acme, acme.partner_admin)
    for response in (
        client.post(f"{TEAM}{pk}/role/", {"role": "partner_user"}),
        client.post(f"{TEAM}{pk}/remove/"),
    ):
        assert response.status_code == 422
        assert "at least one partner admin" in response.content.decode()
    membership = _membership(acme, acme.partner_admin)
    assert (membership.role, membership.is_active) == (Role.PARTNER_ADMIN, True)


def test_forged_ids_of_another_account_are_404_and_change_nothing(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    theirs = _member_id(acme, acme.other_partner_user)
    with scope(tenant=acme.tenant):
        events = AuditEvent.objects.count()
    assert client.post(f"{TEAM}{theirs}/role/", {"role": "partner_user"}).status_code == 404
    assert client.post(f"{TEAM}{theirs}/remove/").status_code == 404
    assert client.post(f"{TEAM}999999/remove/").status_code == 404
    membership = _membership(acme, acme.other_partner_user)
    assert (membership.role, membership.is_active) == (Role.PARTNER_ADMIN, True)
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.count() == events


def test_team_page_query_count_holds_with_many_members(
    acme, client_for, django_assert_max_num_queries
):
    from apps.partners.services import partner_user_add

    with scope(tenant=acme.tenant):
        for i in range(30):
            partner_user_add(
                tenant=acme.tenant,
                actor=acme.cam,
                account=acme.partner,
                email=f"m{i}@one.acme.test",
            )
    client = client_for(acme, acme.partner_admin)
    with django_assert_max_num_queries(20):
        assert client.get(TEAM).status_code == 200
