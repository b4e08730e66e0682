import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_scopes import scope, scopes_disabled

from apps.accounts.models import User
from apps.applications.models import ProgramSettings
from apps.audit.models import AuditEvent
from apps.milestones.models import Track
from apps.partners.models import PartnerType
from apps.tenancy.models import Membership, Role, Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox_inline():
    """Emails go through the outbox (apps/outbox): here its nudged task runs inline, after
    the commit, as a worker would run it."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


ARGS = [
    "--name",
    "Newco Partners",
    "--slug",
    "newco",
    "--host",
    "newco.localhost",
    "--host",
    "partners.newco.localhost",
    "--admin-email",
    "owner@newco.test",
]


def _run(*args):
    call_command("program_create", *args)


def _link(mail) -> str:
    (url,) = re.findall(r"http://newco\.localhost(/accounts/password/reset/key/\S+/)", mail.body)
    return url


def test_the_admin_sets_a_password_from_the_email_and_signs_in(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _run(*ARGS)
    anonymous = Client(headers={"host": "newco.localhost"})
    page = anonymous.get("/apply/")
    assert page.status_code == 200 and b"<form" in page.content
    (mail,) = mailoutbox
    link = _link(mail)
    client = Client(headers={"host": "newco.localhost"})
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"password1" in form.content
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": "Fresh-pw-2026!x", "password2": "Fresh-pw-2026!x"},
    )
    assert response.status_code == 302
    assert client.get("/console/").status_code == 200
    # Single use: the same link no longer sets a password.
    again = Client(headers={"host": "newco.localhost"}).get(link, follow=True)
    assert b"password1" not in again.content
    # And the new password signs in through the normal sign-in.
    fresh = Client(headers={"host": "newco.localhost"})
    fresh.post("/accounts/login/", {"login": "owner@newco.test", "password": "Fresh-pw-2026!x"})
    assert fresh.get("/console/").status_code == 200


def test_an_existing_user_gets_a_membership(acme, django_capture_on_commit_callbacks):
    users = User.objects.count()
    args = [*ARGS[:-1], acme.cam.email]
    with django_capture_on_commit_callbacks(execute=True):
        _run(*args)
    assert User.objects.count() == users
    with scopes_disabled():
        membership = Membership.objects.get(tenant__slug="newco", user=acme.cam)
    assert membership.role == Role.PROGRAM_ADMIN


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"newco": "acme"}, "already exists"),
        ({"partners.newco.localhost": "acme.localhost"}, "acme.localhost"),
        ({"owner@newco.test": "owner@"}, "not a valid email"),
    ],
)
def test_refusals_are_clear_and_change_nothing(acme, state, mailoutbox, change, message):
    before = state()
    args = [change.get(a, a) for a in ARGS]
    with pytest.raises(CommandError, match=message):
        _run(*args)
    assert state() == before and mailoutbox == []


def test_running_it_again_is_refused(state, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _run(*ARGS)
    before = state()
    with pytest.raises(CommandError, match="already exists"):
        _run(*ARGS)
    assert state() == before


def test_a_tenant_added_in_the_admin_is_completed(settings, state):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    root = User.objects.create_superuser(email="root@onramp.test", password="root-pw-123456")
    TOTP.activate(root, generate_totp_secret())  # the admin wants TOTP (apps/core/admin_site.py)
    client = Client(headers={"host": settings.BASE_DOMAIN})
    client.force_login(root)
    response = client.post(
        "/admin/tenancy/tenant/add/",
        {
            "slug": "initech",
            "name": "Initech Partners",
            "brand_color": "#4f46e5",
            "logo_url": "",
            "support_email": "",
            "hosts-TOTAL_FORMS": "1",
            "hosts-INITIAL_FORMS": "0",
            "hosts-0-hostname": "initech.localhost",
            "hosts-0-is_primary": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tenant = Tenant.objects.get(slug="initech")
    with scope(tenant=tenant):
        assert PartnerType.objects.filter(tenant=tenant).count() == 6
        assert Track.objects.filter(tenant=tenant).exists()
        assert ProgramSettings.objects.filter(tenant=tenant).exists()
        assert not Membership.objects.filter(tenant=tenant).exists()
        event = AuditEvent.objects.get(tenant=tenant, verb="program.completed")
    assert event.actor.email == "root@onramp.test"
    assert event.data["installed"]["partner_types"] == 6
    page = Client(headers={"host": "initech.localhost"}).get("/apply/")
    assert page.status_code == 200 and b"Reseller / VAR" in page.content
    # Saving it again (the completion runs on every save) changes nothing.
    before = state()
    response = client.post(
        f"/admin/tenancy/tenant/{tenant.pk}/change/",
        {
            "slug": "initech",
            "name": "Initech Partners",
            "brand_color": "#4f46e5",
            "logo_url": "",
            "support_email": "",
            "hosts-TOTAL_FORMS": "1",
            "hosts-INITIAL_FORMS": "1",
            "hosts-0-id": str(tenant.hosts.get().pk),
            "hosts-0-tenant": str(tenant.pk),
            "hosts-0-hostname": "initech.localhost",
            "hosts-0-is_primary": "on",
        },
    )
    assert response.status_code == 302
    assert state() == before
