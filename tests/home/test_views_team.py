import re

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from apps.tenancy.models import Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox_inline():
    """Emails go through the outbox (apps/outbox): here its nudged task runs inline, after
    the commit, as a worker would run it."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


URL = "/console/settings/team/"


def _membership(program, user):
    with scopes_disabled():
        return Membership.objects.get(tenant=program.tenant, user=user)


def _invite(client, email="new@acme.test", role=Role.CHANNEL_MANAGER):
    return client.post(URL, {"email": email, "first_name": "Nia", "last_name": "New", "role": role})


def test_admin_sees_the_staff_and_the_invite_form(acme, client_for, django_assert_max_num_queries):
    client = client_for(acme, acme.admin)
    for i in range(15):
        _invite(client, email=f"s{i}@acme.test")
    with django_assert_max_num_queries(25):
        response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert acme.cam.email in html and "s14@acme.test" in html
    assert "Send invitation" in html and "Invitation pending" in html
    assert "Revoke invitation" in html and "Resend invitation" in html
    assert 'href="/console/settings/team/"' in client.get("/console/").content.decode()


def test_a_cam_gets_403(acme, client_for, state):
    client = client_for(acme, acme.cam)
    before = state()
    assert client.get(URL).status_code == 403
    assert _invite(client).status_code == 403
    assert state() == before
    assert 'href="/console/settings/team/"' not in client.get("/console/").content.decode()


def test_invite_set_password_and_sign_in(
    acme, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client_for(acme, acme.admin))
    assert response.status_code == 302 and response["Location"] == URL
    (mail,) = mailoutbox
    assert mail.to == ["new@acme.test"]
    (link,) = re.findall(r"http://acme\.localhost(/accounts/password/reset/key/\S+/)", mail.body)
    client = Client(headers={"host": acme.host})
    form = client.get(link, follow=True)
    assert b"password1" in form.content
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": "Fresh-pw-2026!x", "password2": "Fresh-pw-2026!x"},
    )
    assert done.status_code == 302
    # Single use.
    assert b"password1" not in Client(headers={"host": acme.host}).get(link, follow=True).content
    fresh = Client(headers={"host": acme.host})
    signed_in = fresh.post(
        "/accounts/login/", {"login": "new@acme.test", "password": "Fresh-pw-2026!x"}
    )
    assert signed_in["Location"] == "/console/"
    assert fresh.get("/console/").status_code == 200
    # Now a member who set a password: no longer pending.
    assert "Invitation pending" not in client_for(acme, acme.admin).get(URL).content.decode()


def test_a_double_submit_invites_once(
    acme, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(acme, acme.admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(client).status_code == 302
        again = _invite(client)
    assert again.status_code == 422
    assert "already on the staff" in again.content.decode()
    assert len(mailoutbox) == 1


def test_bad_input_is_422_and_changes_nothing(acme, client_for, state):
    client = client_for(acme, acme.admin)
    before = state()
    assert _invite(client, email="not-an-email").status_code == 422
    assert _invite(client, role=Role.PARTNER_ADMIN).status_code == 422
    cam = _membership(acme, acme.cam)
    assert client.post(f"{URL}{cam.pk}/role/", {"role": "boss"}).status_code == 422
    assert state() == before


def test_existing_user_of_another_program_gets_a_membership(acme, globex, client_for, unscoped):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.count()
    assert _invite(client_for(acme, acme.admin), email=globex.admin.email).status_code == 302
    assert get_user_model().objects.count() == users
    membership = Membership.objects.get(tenant=acme.tenant, user=globex.admin)
    assert membership.role == Role.CHANNEL_MANAGER
    client = Client(headers={"host": acme.host})
    response = client.post(
        "/accounts/login/", {"login": globex.admin.email, "password": "pw-admin-123456"}
    )
    assert response["Location"] == "/console/"


def test_change_role_deactivate_and_reactivate(acme, client_for):
    client = client_for(acme, acme.admin)
    cam = _membership(acme, acme.cam)
    assert client.post(f"{URL}{cam.pk}/role/", {"role": Role.PROGRAM_ADMIN}).status_code == 302
    assert _membership(acme, acme.cam).role == Role.PROGRAM_ADMIN
    assert client.post(f"{URL}{cam.pk}/deactivate/").status_code == 302
    assert not _membership(acme, acme.cam).is_active
    assert client.post(f"{URL}{cam.pk}/reactivate/").status_code == 302
    assert _membership(acme, acme.cam).is_active


def test_a_deactivated_cam_cannot_sign_in(acme, client_for):
    signed_in = client_for(acme, acme.cam)
    cam = _membership(acme, acme.cam)
    assert client_for(acme, acme.admin).post(f"{URL}{cam.pk}/deactivate/").status_code == 302
    client = Client(headers={"host": acme.host})
    response = client.post(
        "/accounts/login/", {"login": acme.cam.email, "password": "pw-cam-123456"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    # A session opened before the deactivation no longer reaches the console.
    assert signed_in.get("/console/").status_code == 404


def test_the_last_admin_cannot_deactivate_or_demote_themselves(acme, client_for, state):
    client = client_for(acme, acme.admin)
    admin = _membership(acme, acme.admin)
    before = state()
    for response in (
        client.post(f"{URL}{admin.pk}/deactivate/"),
        client.post(f"{URL}{admin.pk}/role/", {"role": Role.CHANNEL_MANAGER}),
    ):
        assert response.status_code == 422
        assert "last active program admin" in response.content.decode()
    assert state() == before


def test_another_programs_membership_ids_are_404_and_change_nothing(
    acme, globex, client_for, state
):
    client = client_for(acme, acme.admin)
    theirs = _membership(globex, globex.cam)
    before = state()
    for action, data in (
        ("resend", {}),
        ("role", {"role": Role.PROGRAM_ADMIN}),
        ("deactivate", {}),
        ("reactivate", {}),
    ):
        assert client.post(f"{URL}{theirs.pk}/{action}/", data).status_code == 404
    # A partner user's membership of this program is not staff either.
    partner = _membership(acme, acme.partner_user)
    assert client.post(f"{URL}{partner.pk}/deactivate/").status_code == 404
    assert state() == before
