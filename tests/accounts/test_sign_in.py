import pytest
from django.test import Client

from apps.outbox.delivery import outbox_sweep_all_tenants

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_sign_in_page_has_the_contract_labels(acme, client_for):
    html = client_for(acme).get("/accounts/login/").content.decode()
    assert ">Email<" in html
    assert ">Password<" in html
    assert ">Sign in<" in html


@pytest.mark.parametrize(
    ("who", "password", "landing"),
    [
        ("admin", "pw-admin-123456", "/console/"),
        ("cam", "pw-cam-123456", "/console/"),
        ("partner_admin", "pw-padmin-123456", "/portal/"),
        ("partner_user", "pw-puser-123456", "/portal/"),
    ],
)
def test_members_sign_in_and_land_on_their_home(acme, client_for, who, password, landing):
    client = client_for(acme)
    response = _sign_in(client, getattr(acme, who).email, password)
    assert response.status_code == 302
    assert response["Location"] == landing
    assert client.get(landing).status_code == 200


def test_sign_in_admits_only_members_of_this_tenant(acme, globex, client_for):
    client = client_for(acme)
    response = _sign_in(client, globex.admin.email, "pw-admin-123456")
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    wrong = _sign_in(client_for(acme), acme.admin.email, "not-the-password")
    # A stranger's correct password reads exactly like a wrong one.
    assert _errors(response) == _errors(wrong)


def _errors(response):
    return [str(e) for e in response.context["form"].non_field_errors()]


def test_a_user_of_two_programs_signs_in_to_each(acme, globex, client_for, unscoped):
    from apps.tenancy.models import Role
    from apps.tenancy.services import membership_grant

    membership_grant(tenant=globex.tenant, user=acme.cam, role=Role.CHANNEL_MANAGER)
    for program in (acme, globex):
        client = client_for(program)
        assert _sign_in(client, acme.cam.email, "pw-cam-123456")["Location"] == "/console/"


def test_deactivated_membership_cannot_sign_in(acme, client_for, unscoped):
    from apps.tenancy.models import Membership

    Membership.objects.filter(user=acme.cam).update(is_active=False)
    client = client_for(acme)
    assert _sign_in(client, acme.cam.email, "pw-cam-123456").status_code == 200
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_are_rate_limited(acme, client_for):
    client = client_for(acme)
    for _ in range(5):
        response = _sign_in(client, acme.cam.email, "wrong-password")
        assert response.status_code == 200
    # Now even the right password is refused for a while.
    response = _sign_in(client, acme.cam.email, "pw-cam-123456")
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_platform_host_admits_superusers_only(acme, unscoped, settings):
    from allauth.account.models import EmailAddress

    from apps.accounts.models import User

    root = User.objects.create_superuser(email="root@onramp.test", password="root-pw-123456")
    EmailAddress.objects.create(user=root, email=root.email, verified=True, primary=True)
    client = Client(headers={"host": settings.BASE_DOMAIN})
    _sign_in(client, "root@onramp.test", "root-pw-123456")
    assert "_auth_user_id" in client.session  # then TOTP: tests/core/test_admin_lockdown.py
    # A program admin is no platform operator.
    other = Client(headers={"host": settings.BASE_DOMAIN})
    _sign_in(other, acme.admin.email, "pw-admin-123456")
    assert "_auth_user_id" not in other.session
    assert other.get("/admin/").status_code == 302


def test_password_reset_mails_members_only(acme, globex, client_for, mailoutbox):
    client_for(acme).post("/accounts/password/reset/", {"email": acme.cam.email})
    client_for(acme).post("/accounts/password/reset/", {"email": globex.cam.email})
    outbox_sweep_all_tenants()  # allauth's emails leave through the outbox
    reset_links = [m for m in mailoutbox if "/accounts/password/reset/key/" in m.body]
    assert [m.to for m in reset_links] == [[acme.cam.email]]


def test_sign_out_needs_post(acme, client_for):
    client = client_for(acme, acme.cam)
    client.get("/accounts/logout/")
    assert client.get("/console/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/console/").status_code == 302


def test_staff_can_enable_two_factor_authentication(acme, client_for):
    client = client_for(acme)
    _sign_in(client, acme.admin.email, "pw-admin-123456")
    assert client.get("/accounts/2fa/").status_code == 200
    # Turning on two-factor asks for the password again first.
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    client.post("/accounts/reauthenticate/", {"password": "pw-admin-123456"})
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200
    assert setup.context["form"].secret  # the TOTP secret to scan or type in


def test_unverified_address_must_be_confirmed_before_sign_in(acme, client_for, mailoutbox):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=acme.cam).update(verified=False)
    client = client_for(acme)
    response = _sign_in(client, acme.cam.email, "pw-cam-123456")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/confirm-email/")
    assert client.get("/console/").status_code == 302
    outbox_sweep_all_tenants()  # allauth's emails leave through the outbox
    assert any(acme.cam.email in m.to for m in mailoutbox)
